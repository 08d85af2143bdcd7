/**
 * Durations in messages. Reading them (`30m`, `1h30m`, `1d`) is `parseDuration` in job.ts,
 * shared by `run --timeout`, `keep` and the settings. Pure.
 */

/** Short text of a duration for messages: `45 s`, `10 min`, `1 h`, `1 h 30 min`, `2 d 3 h`. */
export function formatShortDuration(durationInMs: number): string {
  const minutes = Math.round(durationInMs / 60_000);
  if (durationInMs < 60_000) return `${Math.max(0, Math.round(durationInMs / 1000))} s`;
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}
