/**
 * Background work keyed by cluster id. Work on one cluster runs one piece at a time, in the
 * order it was started; a command that names a cluster waits for what is in flight on it
 * (so `status demo` right after `up demo` reports the finished cluster); `idle()` resolves
 * when nothing is left (the console waits for it before exiting).
 */
export class TaskTracker {
  readonly #tails = new Map<string, Promise<void>>();
  readonly #all = new Set<Promise<void>>();
  readonly #onError: (key: string, error: unknown) => void;

  constructor(onError: (key: string, error: unknown) => void) {
    this.#onError = onError;
  }

  /** Queues `work` after whatever is in flight for `key`. Errors go to `onError`. */
  run(key: string, work: () => Promise<void>): Promise<void> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const next = previous.then(work).catch((error: unknown) => this.#onError(key, error));
    this.#tails.set(key, next);
    this.#all.add(next);
    void next.finally(() => {
      this.#all.delete(next);
      if (this.#tails.get(key) === next) this.#tails.delete(key);
    });
    return next;
  }

  /** Resolves once the work queued for `key` so far has finished (successfully or not). */
  async waitFor(key: string): Promise<void> {
    await this.#tails.get(key);
  }

  /** Resolves when no work is left, including work queued while waiting. */
  async idle(): Promise<void> {
    while (this.#all.size > 0) await Promise.all([...this.#all]);
  }
}
