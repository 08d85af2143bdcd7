/**
 * Calendar arithmetic in a team's time zone (IANA name, e.g. `Europe/Berlin`), with the
 * runtime's Intl data: days and months of reports, "keep until tonight". Pure.
 */

/** Year, month (1–12), day, hour and minute of `atMs` on the wall clock of `timeZone`. */
export function wallClock(
  atMs: number,
  timeZone: string,
): { year: number; month: number; day: number; hour: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  }).formatToParts(atMs);
  const get = (type: string) => Number(parts.find((part) => part.type === type)?.value);
  return {
    year: get('year'),
    month: get('month'),
    day: get('day'),
    hour: get('hour'),
    minute: get('minute'),
  };
}

/** The instant when the wall clock of `timeZone` shows 00:00 on that date (month may overflow). */
export function localMidnight(year: number, month: number, day: number, timeZone: string): number {
  let guess = Date.UTC(year, month - 1, day);
  // Two corrections settle any offset (and a DST change near midnight).
  for (let round = 0; round < 2; round += 1) {
    const shown = wallClock(guess, timeZone);
    const shownAsUtc = Date.UTC(shown.year, shown.month - 1, shown.day, shown.hour, shown.minute);
    guess -= shownAsUtc - Date.UTC(year, month - 1, day);
  }
  return guess;
}

/** `YYYY-MM-DD` of `atMs` in `timeZone`. */
export function localDay(atMs: number, timeZone: string): string {
  const { year, month, day } = wallClock(atMs, timeZone);
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** `YYYY-MM` of `atMs` in `timeZone`. */
export function localMonth(atMs: number, timeZone: string): string {
  return localDay(atMs, timeZone).slice(0, 7);
}

/** Start of the day, week (Monday) or month containing `atMs`, and of the next one, in `timeZone`. */
export function periodAround(
  atMs: number,
  period: 'day' | 'week' | 'month',
  timeZone: string,
): { fromMs: number; toMs: number } {
  const { year, month, day } = wallClock(atMs, timeZone);
  if (period === 'month')
    return {
      fromMs: localMidnight(year, month, 1, timeZone),
      toMs: localMidnight(year, month + 1, 1, timeZone),
    };
  if (period === 'day')
    return {
      fromMs: localMidnight(year, month, day, timeZone),
      toMs: localMidnight(year, month, day + 1, timeZone),
    };
  const weekday = (new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 6) % 7; // Monday 0
  return {
    fromMs: localMidnight(year, month, day - weekday, timeZone),
    toMs: localMidnight(year, month, day - weekday + 7, timeZone),
  };
}

/** Whether `timeZone` is a zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}
