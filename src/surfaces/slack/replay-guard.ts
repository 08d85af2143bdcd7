/**
 * Refuses a signed Slack request seen before. Slack's signature covers the timestamp and the
 * body, and Bolt refuses timestamps older than five minutes, so remembering every signature
 * for five minutes is enough to stop a captured request being played again.
 */
/** Signatures remembered at most (a few MB); far above Slack's real request rate. */
const MAX_REMEMBERED = 100_000;

export class ReplayGuard {
  readonly #seen = new Map<string, number>();
  readonly #windowInMs: number;
  readonly #now: () => number;

  constructor(now: () => number, windowInMs = 5 * 60_000) {
    this.#now = now;
    this.#windowInMs = windowInMs;
  }

  /**
   * True the first time a signature is offered (within the window); false on a replay and on
   * anything that is not exactly `v0=` and 64 hex digits (Bolt would read `v0=<hash>=x` as the
   * same signature, so a replay could otherwise slip past under a new spelling).
   */
  admit(signature: string | undefined): boolean {
    if (signature === undefined || !/^v0=[0-9a-f]{64}$/.test(signature)) return false;
    const now = this.#now();
    for (const [seen, at] of this.#seen) {
      if (at + this.#windowInMs > now) break; // insertion order = time order
      this.#seen.delete(seen);
    }
    if (this.#seen.has(signature)) return false;
    this.#seen.set(signature, now);
    // Bounded even under a flood of well-formed junk: the oldest entries go first.
    if (this.#seen.size > MAX_REMEMBERED) this.#seen.delete(this.#seen.keys().next().value as string);
    return true;
  }
}
