import { describe, expect, it } from 'vitest';
import { makeHarness } from '../../test/fakes/harness.ts';
import { homeMessage } from './home.ts';

const MIN = 60_000;
const policy = {
  idleTimeoutInMs: 30 * MIN,
  graceInMs: 10 * MIN,
  action: 'stop' as const,
  keepMaxInMs: 720 * MIN,
  stuckAfterInMs: 120 * MIN,
};

describe('App Home', () => {
  it('shows each of the user’s clusters with its cost so far and the idle countdown', async () => {
    const h = makeHarness({ reaperPolicy: policy });
    await h.run('UALICE', '/mpi up 2 demo');
    await h.reaper!.runOnce();

    h.clock.advance(20 * MIN);
    const waiting = homeMessage(h.store, 'UALICE', h.clock.nowInMs(), null, policy);
    h.clock.advance(11 * MIN);
    await h.reaper!.runOnce();
    await h.settle();
    const warned = homeMessage(h.store, 'UALICE', h.clock.nowInMs(), null, policy);

    // 2 nodes × $3.60 for 20 min = $2.40.
    expect(JSON.stringify(waiting.blocks)).toMatch(
      /\*demo\* in <#C1>: ready, 2 × local, age 20 min; \$7\.20\/h, \$2\.4\d so far; idle warning in 10 min unless used/,
    );
    expect(JSON.stringify(warned.blocks)).toMatch(/idle: stopped in (9|10) min unless used or kept/);
    expect(
      JSON.stringify(homeMessage(h.store, 'UBOB', h.clock.nowInMs(), null, policy).blocks),
    ).not.toContain('demo');
  });
});
