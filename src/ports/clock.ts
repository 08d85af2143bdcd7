/** Time source. Epoch milliseconds, UTC. Injected so reaper and cost tests use a fake clock. */
export interface Clock {
  /** Current time in epoch milliseconds. */
  nowInMs(): number;
  /** Resolves after `delayInMs`; rejects with the signal's reason when aborted. */
  sleep(delayInMs: number, abortSignal?: AbortSignal): Promise<void>;
  /**
   * Resolves once the clock reaches `atMs` (at once when it has); rejects with the signal's
   * reason when aborted. For timers that wait on time rather than pass it: a fake clock fires
   * them when a test advances it past `atMs`, and never moves for them itself.
   */
  at(atMs: number, abortSignal?: AbortSignal): Promise<void>;
}
