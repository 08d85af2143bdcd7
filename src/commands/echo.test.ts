import { describe, expect, it } from 'vitest';
import { echoToken, quote } from './echo.ts';

describe('commands echo', () => {
  it('strips control and invisible characters', () => {
    const result = echoToken('a\u0000b\u001b[2Jc\u200bd\u202ee\u2028f');

    expect(result).toBe('ab[2Jcdef');
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
