/** Time source. Epoch milliseconds, UTC. Injected so reaper and cost tests use a fake clock. */
export interface Clock {
  /** Current time in epoch milliseconds. */
  nowInMs(): number;
  /** Resolves after `delayInMs`; rejects with the signal's reason when aborted. */
  sleep(delayInMs: number, abortSignal?: AbortSignal): Promise<void>;
}
