/**
 * How one verb reads its arguments. The generic binder (bind-args.ts) turns words into a
 * `{ key: token }` object from this description; the verb's zod schema types and checks it.
 * A new verb is one more entry in verbs.ts.
 */
import type { z } from 'zod';
import type { Command, CommandLimits } from './types.ts';

/** A positional argument. */
export interface Slot {
  /** Property name in the object handed to the schema. */
  key: string;
  /** Starts an error sentence: "Node count `x` must …". */
  label: string;
  /** Used in "`up` needs a node count". */
  noun: string;
  /**
   * Optional slots are filled left to right only with words beyond those the required slots
   * need, so `resize 4` binds nodes and `resize big 4` binds name and nodes.
   */
  required: boolean;
}

/** An option such as `--size SKU` or `--spot`. */
export interface Flag {
  key: string;
  /** Spellings, long first: `['--yes', '-y']`. */
  names: readonly string[];
  /** Starts an error sentence about its value: "Size `x` is not valid …". */
  label: string;
  /** Name of the value for messages (`SKU`), or null for a switch that takes none. */
  value: string | null;
}

/** The raw text after `--`: the user's own command, which only the verb's schema checks. */
export interface Rest {
  /** Property name in the object handed to the schema. */
  key: string;
  /** The verb's short form, shown when `--` or the command is missing: `/mpi run … -- ./program`. */
  form: string;
}

export interface VerbSpec {
  /** The words that select the verb: `['up']`, `['key', 'add']`. */
  words: readonly string[];
  positionals: readonly Slot[];
  flags: readonly Flag[];
  /** When set, the raw text after the verb words (verbatim, one value) goes to this key. */
  lineKey?: string;
  /** When set, the verb takes a verbatim command after `--` (like `run`); else `--` is refused. */
  rest?: Rest;
  /** Checks the bound tokens and builds the Command. */
  schema(limits: CommandLimits): z.ZodType<Command>;
}

/** `up`, `key add`: the verb as typed, also its usage topic. */
export function topicOf(spec: VerbSpec): string {
  return spec.words.join(' ');
}
