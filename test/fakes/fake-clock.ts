import type { Clock } from '../../src/ports/clock.ts';

/** A clock that only moves when told to; `sleep` advances it instead of waiting. */
export class FakeClock implements Clock {
  #now: number;

  constructor(startInMs = Date.UTC(2026, 10, 25, 9, 0, 0)) {
    this.#now = startInMs;
  }

  nowInMs(): number {
    return this.#now;
  }

  advance(durationInMs: number): void {
    this.#now += durationInMs;
  }

  async sleep(delayInMs: number, abortSignal?: AbortSignal): Promise<void> {
    abortSignal?.throwIfAborted();
    this.#now += delayInMs;
    await Promise.resolve();
  }
}
