/** The typed result of parsing `/mpi …` text. Services act on a Command, never on raw text. */
import type { PublicKey } from '../domain/ssh-key.ts';

export type Command =
  | { verb: 'up'; nodes: number; name: string | null; size: string | null; spot: boolean }
  | { verb: 'resize'; name: string | null; nodes: number }
  | { verb: 'down'; name: string | null; yes: boolean }
  | { verb: 'status'; name: string | null }
  | { verb: 'list' }
  | {
      verb: 'keep';
      name: string | null;
      /** How long to keep it (ms), or until midnight in the team's zone. */
      forMs: number | 'tonight';
    }
  | { verb: 'cost'; period: 'day' | 'week' | 'month' }
  | {
      verb: 'run';
      /** Null: the channel's only cluster. */
      cluster: string | null;
      /** MPI ranks (`-n`); null lets the service choose. */
      ranks: number | null;
      /** Ranks per node (`--ppn`); null for the machinefile's slots. */
      ranksPerNode: number | null;
      /** Cancel after this long running (`--timeout`); null for no limit. */
      timeoutInMs: number | null;
      /** Everything after the first `--`, trimmed, otherwise verbatim: the user's shell command. */
      command: string;
    }
  | { verb: 'jobs'; cluster: string | null }
  | { verb: 'logs'; jobId: number; tail: number | null }
  | { verb: 'cancel'; jobId: number }
  | { verb: 'key-add'; key: PublicKey }
  | { verb: 'key-list' }
  | { verb: 'key-rm'; fingerprint: string }
  | { verb: 'help'; topic: string | null };

export type Verb = Command['verb'];

/**
 * `message` is one short paragraph for chat; `usage` the usage text of the verb (or the general
 * help). `privateKey` is true when the text held private key material: the surface should warn
 * loudly and must not echo or log the text (use redactCommandText).
 */
export type ParseResult =
  { ok: true; command: Command } | { ok: false; message: string; usage: string; privateKey: boolean };

/** Configured limits the grammar checks against. */
export interface CommandLimits {
  /** Largest node count `up` and `resize` accept. */
  maxNodesPerCluster: number;
}
