import { describe, expect, it } from 'vitest';
import { ReplayGuard } from './replay-guard.ts';

describe('ReplayGuard', () => {
  it('admits a signature once within the window, and again after it expired', () => {
    let now = 0;
    const guard = new ReplayGuard(() => now, 300_000);

    const first = guard.admit(`v0=${'a'.repeat(64)}`);
    const replay = guard.admit(`v0=${'a'.repeat(64)}`);
    const other = guard.admit(`v0=${'b'.repeat(64)}`);
    now = 300_001;
    const afterWindow = guard.admit(`v0=${'a'.repeat(64)}`);

    expect([first, replay, other, afterWindow]).toEqual([true, false, true, true]);
  });

  it('refuses missing and oddly spelled signatures (a replay in disguise)', () => {
    const guard = new ReplayGuard(() => 0);
    const hash = 'c'.repeat(64);

    expect(guard.admit(`v0=${hash}`)).toBe(true);
    expect([
      guard.admit(undefined),
      guard.admit(`v0=${hash}=x`),
      guard.admit(`v0=${hash.toUpperCase()}`),
    ]).toEqual([false, false, false]);
  });
});
