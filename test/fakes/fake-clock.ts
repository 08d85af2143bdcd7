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

  /** Timers waiting for a time (`at`), fired as the clock passes them. */
  readonly #waiters = new Set<{ atMs: number; resolve: () => void }>();

  advance(durationInMs: number): void {
    this.#now += durationInMs;
    for (const waiter of [...this.#waiters].sort((a, b) => a.atMs - b.atMs)) {
      if (waiter.atMs > this.#now) continue;
      this.#waiters.delete(waiter);
      waiter.resolve();
    }
  }

  async sleep(delayInMs: number, abortSignal?: AbortSignal): Promise<void> {
    abortSignal?.throwIfAborted();
    this.advance(delayInMs);
    await Promise.resolve();
  }

  at(atMs: number, abortSignal?: AbortSignal): Promise<void> {
    abortSignal?.throwIfAborted();
    if (atMs <= this.#now) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = { atMs, resolve };
      this.#waiters.add(waiter);
      abortSignal?.addEventListener(
        'abort',
        () => {
          this.#waiters.delete(waiter);
          reject(abortSignal.reason as Error);
        },
        { once: true },
      );
    });
  }

  /** Timers still waiting (for tests that check nothing is left behind). */
  get pendingTimers(): number {
    return this.#waiters.size;
  }
}
