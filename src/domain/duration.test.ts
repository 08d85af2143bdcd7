import { describe, expect, it } from 'vitest';
import { formatShortDuration } from './duration.ts';
import { parseDuration } from './job.ts';

describe('duration', () => {
  it.each([
    ['30m', 1_800_000],
    ['10s', 10_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
  ])('reads %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '30', 'm', '1.5h', '-1h', '0m', '1w', '1h 30m', 'Infinity', ' 12h'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeNull();
  });

  it('formats what it reads back', () => {
    expect(
      ['45s', '10m', '1h', '1h30m', '51h'].map((text) => formatShortDuration(parseDuration(text)!)),
    ).toEqual(['45 s', '10 min', '1 h', '1 h 30 min', '2 d 3 h']);
  });
});
