/**
 * Refuses a signed Slack request seen before. Slack's signature covers the timestamp and the
 * body, and Bolt refuses timestamps older than five minutes, so remembering every signature
 * for five minutes is enough to stop a captured request being played again.
 */
export class ReplayGuard {
  readonly #seen = new Map<string, number>();
  readonly #windowInMs: number;
  readonly #now: () => number;

  constructor(now: () => number, windowInMs = 5 * 60_000) {
    this.#now = now;
    this.#windowInMs = windowInMs;
  }

  /** True the first time a signature is offered (within the window), false on a replay. */
  admit(signature: string | undefined): boolean {
    if (!signature) return true; // unsigned: the signature check refuses it
    const now = this.#now();
    for (const [seen, at] of this.#seen) {
      if (at + this.#windowInMs > now) break; // insertion order = time order
      this.#seen.delete(seen);
    }
    if (this.#seen.has(signature)) return false;
    this.#seen.set(signature, now);
    return true;
  }
}
