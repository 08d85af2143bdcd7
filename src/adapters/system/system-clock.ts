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
}
