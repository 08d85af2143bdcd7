import { describe, expect, it } from 'vitest';
import { FakeClock } from '../test/fakes/fake-clock.ts';
import { MemoryLogger } from '../test/fakes/harness.ts';
import { RECONCILE_INTERVAL_IN_MS, runEvery } from './app.ts';

describe('runEvery (the reconciler’s schedule)', () => {
  it('ticks at once, then every interval, goes on after a failed tick, and stops when aborted', async () => {
    const clock = new FakeClock();
    const logger = new MemoryLogger();
    const stop = new AbortController();
    const start = clock.nowInMs();
    const ticksAtMs: number[] = [];

    await runEvery(
      clock,
      RECONCILE_INTERVAL_IN_MS,
      async () => {
        ticksAtMs.push(clock.nowInMs() - start);
        if (ticksAtMs.length === 2) throw new Error('the cloud is down');
        if (ticksAtMs.length === 3) stop.abort();
      },
      logger,
      stop.signal,
    );

    expect(RECONCILE_INTERVAL_IN_MS).toBe(3_600_000);
    expect(ticksAtMs).toEqual([0, 3_600_000, 7_200_000]);
    expect(logger.lines.filter((line) => line.level === 'error').map((line) => line.message)).toEqual([
      'scheduled work failed',
    ]);
  });
});
