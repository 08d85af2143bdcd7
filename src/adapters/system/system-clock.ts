import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../../ports/clock.ts';

/** The real clock. */
export class SystemClock implements Clock {
  nowInMs(): number {
    return Date.now();
  }

  async sleep(delayInMs: number, abortSignal?: AbortSignal): Promise<void> {
    await delay(delayInMs, undefined, abortSignal ? { signal: abortSignal } : {});
  }

  async at(atMs: number, abortSignal?: AbortSignal): Promise<void> {
    // Node's timers hold at most 2^31 - 1 ms (about 24.8 days): longer waits go in steps.
    for (let left = atMs - Date.now(); left > 0; left = atMs - Date.now()) {
      await delay(Math.min(left, 2_147_483_647), undefined, abortSignal ? { signal: abortSignal } : {});
    }
    abortSignal?.throwIfAborted();
  }
}
