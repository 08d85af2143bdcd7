/**
 * Durations as people type them in settings and `/mpi keep`: a number and a unit, `s`, `m`, `h`
 * or `d`, possibly several in a row (`1h30m`). Pure.
 */

const UNIT_IN_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of `text` (`30m`, `2h`, `1h30m`, `45s`, `1d`); null when it is not a duration or is zero. */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim().toLowerCase();
  if (!/^(\d{1,6}[smhd])+$/.test(trimmed)) return null;
  let total = 0;
  for (const match of trimmed.matchAll(/(\d+)([smhd])/g)) total += Number(match[1]) * UNIT_IN_MS[match[2]!]!;
  return total > 0 && total <= 366 * UNIT_IN_MS.d! ? total : null;
}

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
