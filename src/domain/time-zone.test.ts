import { describe, expect, it } from 'vitest';
import { isTimeZone, localDay, localMidnight, periodAround } from './time-zone.ts';

describe('time-zone', () => {
  it('finds local midnight across offsets and DST', () => {
    expect(new Date(localMidnight(2026, 12, 4, 'UTC')).toISOString()).toBe('2026-12-04T00:00:00.000Z');
    expect(new Date(localMidnight(2026, 12, 4, 'Europe/Berlin')).toISOString()).toBe(
      '2026-12-03T23:00:00.000Z',
    );
    expect(new Date(localMidnight(2026, 7, 1, 'America/New_York')).toISOString()).toBe(
      '2026-07-01T04:00:00.000Z',
    );
    // 2026-03-29 is the European DST switch day: midnight is still at +01:00.
    expect(new Date(localMidnight(2026, 3, 29, 'Europe/Berlin')).toISOString()).toBe(
      '2026-03-28T23:00:00.000Z',
    );
  });

  it('gives days, Monday weeks and months in the zone', () => {
    const friday = Date.parse('2026-12-04T23:30:00Z'); // already Saturday in Berlin

    expect(localDay(friday, 'UTC')).toBe('2026-12-04');
    expect(localDay(friday, 'Europe/Berlin')).toBe('2026-12-05');
    const week = periodAround(friday, 'week', 'UTC');
    expect([new Date(week.fromMs).toISOString(), new Date(week.toMs).toISOString()]).toEqual([
      '2026-11-30T00:00:00.000Z',
      '2026-12-07T00:00:00.000Z',
    ]);
    const month = periodAround(friday, 'month', 'UTC');
    expect(new Date(month.toMs).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });
});
