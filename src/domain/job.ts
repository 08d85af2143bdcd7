/** Job vocabulary. No I/O here. */

/** Lifecycle of a job. Terminal states never change again. */
export type JobState =
  | 'queued' // accepted; waits for a free run slot on its cluster
  | 'running' // started on node 0; the bot follows its log
  | 'succeeded' // exited with status 0
  | 'failed' // exited with a non-zero status
  | 'cancelled' // stopped by /mpi cancel, its timeout, or its cluster's deletion
  | 'lost'; // its node or processes vanished without an exit status

export function isTerminal(state: JobState): boolean {
  return state === 'succeeded' || state === 'failed' || state === 'cancelled' || state === 'lost';
}

/**
 * Quotes one word for a POSIX shell: single quotes around it, and every `'` inside written as
 * `'\''`. The result is always exactly one word whatever the input, so no field mpibox puts
 * on a remote command line can break out of it.
 */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Parses `90s`, `15m`, `2h`, `1h30m`, `1d` into milliseconds; null when malformed or zero.
 * Ours on purpose: duration packages also accept `1.5h`, `2 days` or bare numbers (as ms),
 * which a chat command and a setting should refuse rather than guess.
 */
export function parseDuration(text: string): number | null {
  const match = /^(?:(\d{1,3})d)?(?:(\d{1,4})h)?(?:(\d{1,5})m)?(?:(\d{1,6})s)?$/.exec(text);
  if (!match || text === '') return null;
  const [, days, hours, minutes, seconds] = match;
  const total =
    Number(days ?? 0) * 86_400_000 +
    Number(hours ?? 0) * 3_600_000 +
    Number(minutes ?? 0) * 60_000 +
    Number(seconds ?? 0) * 1000;
  return total > 0 ? total : null;
}
