import { describe, expect, it } from 'vitest';
import { echoToken, quote } from './echo.ts';

describe('commands echo', () => {
  it('shows control and invisible characters as escapes', () => {
    const results = [echoToken('a\u0000b\u001b[2J'), echoToken('c\u200bd\u202ee\u2028f\u00adg\u{e0041}')];

    expect(results).toEqual(['a\\u0000b\\u001B[2J', 'c\\u200Bd\\u202Ee\\u2028f\\u00ADg\\u{E0041}']);
  });

  it('truncates between escapes, never inside one', () => {
    const result = echoToken('ab' + '\u00ad'.repeat(10));

    expect(result).toBe('ab' + '\\u00AD'.repeat(6) + '…');
  });

  it('defuses backticks and Slack mentions', () => {
    const result = quote('<!channel>`x`');

    expect(result).toBe('`‹!channel›ˋxˋ`');
  });

  it('truncates to 40 code points without splitting an emoji', () => {
    const result = echoToken('🚀'.repeat(50));

    expect(Array.from(result)).toHaveLength(40);
    expect(result.endsWith('🚀…')).toBe(true);
  });
});
