import type { Clock } from '../ports/clock.ts';

interface Waiting {
  call: () => Promise<void>;
  /** Resolvers of every submit this call stands for (a coalesced call covers earlier ones). */
  done: (() => void)[];
}

interface Queue {
  /** Waiting calls by slot, oldest first. */
  pending: Map<string, Waiting>;
  /** The loop working through `pending`; null when idle. */
  running: Promise<void> | null;
}

/**
 * Spaces chat calls so each key (a cluster's channel) makes at most one call per
 * `minIntervalInMs`, as Slack's per-channel rate limit wants. Work waiting under the same
 * `slot` is coalesced: only the latest version of a message update is sent, and a log flush
 * reads whatever has accumulated when its turn comes.
 */
export class ChatPacer {
  readonly #clock: Clock;
  readonly #minIntervalInMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #queues = new Map<string, Queue>();
  /** When each key last made a call; kept after its queue empties, so the spacing holds. */
  readonly #lastCallAtMs = new Map<string, number>();

  constructor(clock: Clock, minIntervalInMs: number, onError: (error: unknown) => void) {
    this.#clock = clock;
    this.#minIntervalInMs = minIntervalInMs;
    this.#onError = onError;
  }

  /**
   * Schedules `call` for `key`, replacing a not-yet-started call in the same `slot`. Resolves
   * once this call (or the later one that replaced it) has run; errors go to `onError`.
   */
  submit(key: string, slot: string, call: () => Promise<void>): Promise<void> {
    let queue = this.#queues.get(key);
    if (!queue) {
      queue = { pending: new Map(), running: null };
      this.#queues.set(key, queue);
    }
    const replaced = queue.pending.get(slot);
    queue.pending.delete(slot); // re-inserting moves it to the back: FIFO by latest submit
    const ran = new Promise<void>((resolve) => {
      queue.pending.set(slot, { call, done: [...(replaced?.done ?? []), resolve] });
    });
    queue.running ??= this.#drain(key, queue);
    return ran;
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

  async #drain(key: string, queue: Queue): Promise<void> {
    // Yield first, so `queue.running` is set before any call runs: a call that submits again
    // (a log flush scheduling the next) must join this loop, not start a second one.
    await Promise.resolve();
    while (queue.pending.size > 0) {
      // A timer may fire a millisecond early by the wall clock: wait until the gap really passed.
      for (;;) {
        const wait =
          (this.#lastCallAtMs.get(key) ?? -Infinity) + this.#minIntervalInMs - this.#clock.nowInMs();
        if (wait <= 0) break;
        await this.#clock.sleep(wait);
      }
      const [slot, waiting] = queue.pending.entries().next().value as [string, Waiting];
      queue.pending.delete(slot);
      try {
        await waiting.call();
      } catch (error) {
        this.#onError(error);
      }
      // Spaced from when a call finished, not when it started: Slack counts calls as they
      // arrive, and a slow call must not let the next one follow too closely.
      this.#lastCallAtMs.set(key, this.#clock.nowInMs());
      for (const resolve of waiting.done) resolve();
    }
    queue.running = null;
    this.#queues.delete(key);
    this.#forgetOldKeys();
  }

  /** Drops spacing records that no longer constrain anything (keeps the map small). */
  #forgetOldKeys(): void {
    const now = this.#clock.nowInMs();
    for (const [key, at] of this.#lastCallAtMs) {
      if (at + this.#minIntervalInMs <= now && !this.#queues.has(key)) this.#lastCallAtMs.delete(key);
    }
  }
}
