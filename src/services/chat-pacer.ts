import type { Clock } from '../ports/clock.ts';

/**
 * Spaces chat calls so each key (a cluster) makes at most one call per `minIntervalInMs`,
 * as Slack's per-channel rate limit wants. Work waiting under the same `slot` is coalesced:
 * only the latest version of a message update is sent, and a log flush reads whatever has
 * accumulated when its turn comes.
 */
export class ChatPacer {
  readonly #clock: Clock;
  readonly #minIntervalInMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #queues = new Map<
    string,
    { pending: Map<string, () => Promise<void>>; lastCallAtMs: number; running: Promise<void> | null }
  >();

  constructor(clock: Clock, minIntervalInMs: number, onError: (error: unknown) => void) {
    this.#clock = clock;
    this.#minIntervalInMs = minIntervalInMs;
    this.#onError = onError;
  }

  /** Schedules `call` for `key`, replacing a not-yet-started call in the same `slot`. */
  submit(key: string, slot: string, call: () => Promise<void>): Promise<void> {
    let queue = this.#queues.get(key);
    if (!queue) {
      queue = { pending: new Map(), lastCallAtMs: -Infinity, running: null };
      this.#queues.set(key, queue);
    }
    queue.pending.delete(slot); // re-inserting moves it to the back: FIFO by latest submit
    queue.pending.set(slot, call);
    if (!queue.running) queue.running = this.#drain(key, queue);
    return queue.running;
  }

  /** True when a call in `slot` is waiting for its turn. */
  isPending(key: string, slot: string): boolean {
    return this.#queues.get(key)?.pending.has(slot) ?? false;
  }

  /** Resolves when every submitted call for every key has run. */
  async idle(): Promise<void> {
    for (;;) {
      const running = [...this.#queues.values()].map((queue) => queue.running).filter(Boolean);
      if (running.length === 0) return;
      await Promise.all(running);
    }
  }

  async #drain(
    key: string,
    queue: { pending: Map<string, () => Promise<void>>; lastCallAtMs: number; running: Promise<void> | null },
  ): Promise<void> {
    while (queue.pending.size > 0) {
      const wait = queue.lastCallAtMs + this.#minIntervalInMs - this.#clock.nowInMs();
      if (wait > 0) await this.#clock.sleep(wait);
      const [slot, call] = queue.pending.entries().next().value as [string, () => Promise<void>];
      queue.pending.delete(slot);
      queue.lastCallAtMs = this.#clock.nowInMs();
      try {
        await call();
      } catch (error) {
        this.#onError(error);
      }
    }
    queue.running = null;
    this.#queues.delete(key);
  }
}
