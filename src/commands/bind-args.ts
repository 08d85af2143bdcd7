/** Binds the words after a verb to its positional slots and flags, before any validation. */
import { quote } from './echo.ts';
import type { Token } from './tokenize.ts';
import { topicOf, type Flag, type Rest, type VerbSpec } from './verb-spec.ts';

/** Token text per key: strings for slots and valued flags, booleans for switches, null if absent. */
export type BoundValues = Record<string, string | boolean | null>;

/** Characters a shell would act on; never part of a name, count, size or fingerprint. */
const SHELL_SYNTAX = /[;|&$`<>()\\'"]/;

export type BindResult = { ok: true; values: BoundValues } | { ok: false; message: string };

/**
 * `words` are the tokens after the verb words, `rest` the raw text after `--` (or null) and
 * `line` the raw text after the verb words, for a verb with a `lineKey`.
 */
export function bindArgs(
  spec: VerbSpec,
  words: readonly Token[],
  rest: string | null,
  line: string,
): BindResult {
  const verb = `\`${topicOf(spec)}\``;
  const values: BoundValues = {};
  if (spec.lineKey) return { ok: true, values: { [spec.lineKey]: line } };
  if (rest !== null && !spec.rest)
    return { ok: false, message: `${verb} does not take \`--\` or anything after it.` };
  if (spec.rest) {
    const missing = missingRestMessage(spec.rest, verb, words, rest);
    if (missing) return { ok: false, message: missing };
    values[spec.rest.key] = rest;
  }
  for (const flag of spec.flags) values[flag.key] = flag.value === null ? false : null;
  const shellWord = words.find((word) => SHELL_SYNTAX.test(word.text));
  if (shellWord) {
    const char = SHELL_SYNTAX.exec(shellWord.text)![0];
    const where = shellWord.text === char ? '' : ` in ${quote(shellWord.text)}`;
    return {
      ok: false,
      message: `Unexpected ${quote(char)}${where}: arguments are plain words, not shell syntax.`,
    };
  }

  const positionals: Token[] = [];
  const seen = new Set<string>();
  for (let index = 0; index < words.length; index += 1) {
    const word = words[index]!;
    if (!isFlagLike(word.text)) {
      positionals.push(word);
      continue;
    }
    const [name = '', inlineValue] = splitFlag(word.text);
    const flag = spec.flags.find((candidate) => candidate.names.includes(name));
    if (!flag) return { ok: false, message: unknownFlagMessage(spec, word.text) };
    if (seen.has(flag.key)) return { ok: false, message: `Option ${quote(flag.names[0]!)} is given twice.` };
    seen.add(flag.key);
    if (flag.value === null) {
      if (inlineValue !== undefined)
        return { ok: false, message: `Option ${quote(flag.names[0]!)} takes no value.` };
      values[flag.key] = true;
      continue;
    }
    const next = words[index + 1];
    const value = inlineValue ?? (next && !isFlagLike(next.text) ? next.text : undefined);
    if (value === undefined || value === '') return { ok: false, message: missingValueMessage(flag) };
    if (inlineValue === undefined) index += 1;
    values[flag.key] = value;
  }
  return bindPositionals(spec, positionals, values);
}

function bindPositionals(spec: VerbSpec, words: readonly Token[], values: BoundValues): BindResult {
  const required = spec.positionals.filter((slot) => slot.required).length;
  let optionalToFill = words.length - required;
  let next = 0;
  for (const slot of spec.positionals) {
    const fill = slot.required || optionalToFill-- > 0;
    const word = fill ? words[next] : undefined;
    if (fill) next += 1;
    if (slot.required && !word) return { ok: false, message: `\`${topicOf(spec)}\` needs ${slot.noun}.` };
    values[slot.key] = word ? word.text : null;
  }
  const extra = words[next];
  if (extra)
    return { ok: false, message: `Unexpected extra argument ${quote(extra.text)} for \`${topicOf(spec)}\`.` };
  return { ok: true, values };
}

/** Null when there is a command after `--`; else what to type instead. */
function missingRestMessage(
  rest: Rest,
  verb: string,
  words: readonly Token[],
  text: string | null,
): string | null {
  const form = `\`${rest.form}\``;
  if (text !== null) return text.trim() === '' ? `${verb} needs a command after \`--\`: ${form}.` : null;
  // Smart punctuation (macOS, phones) turns a typed `--` into an en or em dash.
  const dash = words.find((word) => /^[\u2013\u2014]$/u.test(word.text));
  const hint = dash ? ` Your \`--\` seems to have become ${quote(dash.text)}; type two plain hyphens.` : '';
  return `${verb} needs \`--\` before the command: ${form}.${hint}`;
}

/** `-x`, `--xyz`, `--xyz=v`, and `—xyz` (a `--` autocorrected to an em dash); not `-3` or `-`. */
function isFlagLike(text: string): boolean {
  return /^(?:-[^\d-]|--.|[\u2013\u2014].)/u.test(text);
}

/** Name and inline value of `--name=value` or `-n=4`; an autocorrected dash becomes `--` again. */
function splitFlag(text: string): [string, string | undefined] {
  const normalised = text.replace(/^[\u2013\u2014]/u, '--');
  const equals = normalised.indexOf('=');
  return equals < 0 ? [normalised, undefined] : [normalised.slice(0, equals), normalised.slice(equals + 1)];
}

function unknownFlagMessage(spec: VerbSpec, text: string): string {
  const known = spec.flags.map((flag) => `\`${flag.names[0]}\``);
  const choices =
    known.length === 0 ? `\`${topicOf(spec)}\` takes no options.` : `Options: ${known.join(', ')}.`;
  return `Unknown option ${quote(text)}. ${choices}`;
}

function missingValueMessage(flag: Flag): string {
  return `Option \`${flag.names[0]}\` needs a value: \`${flag.names[0]} ${flag.value}\`.`;
}
