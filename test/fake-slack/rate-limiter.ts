import type { RateLimit } from './types.ts';

/** Token buckets by key: `burst` tokens, refilled at `perChannelPerSecond`. */
export class RateLimiter {
  #limit: RateLimit;
  readonly #buckets = new Map<string, { tokens: number; atMs: number }>();

  constructor(limit: RateLimit) {
    this.#limit = limit;
  }

  set(limit: Partial<RateLimit>): void {
    this.#limit = { ...this.#limit, ...limit };
    this.#buckets.clear();
  }

  /** Takes a token for `key`; returns null when allowed, else the whole seconds to wait (>= 1). */
  take(key: string, nowMs: number): number | null {
    const { perChannelPerSecond: rate, burst } = this.#limit;
    const bucket = this.#buckets.get(key) ?? { tokens: burst, atMs: nowMs };
    bucket.tokens = Math.min(burst, bucket.tokens + ((nowMs - bucket.atMs) / 1000) * rate);
    bucket.atMs = nowMs;
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return null;
    }
    // Retry-After is whole seconds; round up so a client that waits exactly that long gets through.
    return Math.max(1, Math.ceil((1 - bucket.tokens) / rate));
  }
}
