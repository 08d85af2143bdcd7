import { describe, expect, it } from 'vitest';
import { ReplayGuard } from './replay-guard.ts';

describe('ReplayGuard', () => {
  it('admits a signature once within the window, and again after it expired', () => {
    let now = 0;
    const guard = new ReplayGuard(() => now, 300_000);

    const first = guard.admit('v0=abc');
    const replay = guard.admit('v0=abc');
    const other = guard.admit('v0=def');
    now = 300_001;
    const afterWindow = guard.admit('v0=abc');

    expect([first, replay, other, afterWindow]).toEqual([true, false, true, true]);
  });

  it('leaves unsigned requests to the signature check', () => {
    const guard = new ReplayGuard(() => 0);

    expect([guard.admit(undefined), guard.admit(undefined)]).toEqual([true, true]);
  });
});
