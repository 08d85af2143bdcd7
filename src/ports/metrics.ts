/**
 * Operational counters, called where things happen (dispatcher, Slack listeners, the Slack and
 * ARM clients). Every member is fire-and-forget: it never throws, never blocks, and costs a
 * map lookup. Label values must come from small fixed sets (verbs, error codes, HTTP statuses,
 * Slack method names), never from user input, or the time series multiply without bound.
 *
 * State (clusters, nodes and jobs by state, spend per hour) is not pushed through this port:
 * the metrics adapter reads it from the Store when scraped.
 */
export interface Metrics {
  /**
   * One `/mpi` command or button click finished. `verb` is the parsed Command verb (`up`,
   * `key-add`…), `button:<action>` for a click, or `invalid` when the text did not parse;
   * `outcome` is what the audit log records: `ok`, or the error code it ended with.
   */
  commandDone(verb: string, outcome: string): void;
  /** Seconds from a Slack request reaching its listener to its acknowledgement (Slack allows 3). */
  ackLatency(seconds: number, kind: 'command' | 'action'): void;
  /** Slack answered HTTP 429 to one call of Web API `method` (e.g. `chat.postMessage`). */
  slackRateLimited(method: string): void;
  /** A Slack Web API call is about to be sent again; `reason` is why its last attempt failed. */
  slackRetry(reason: RetryReason): void;
  /** One HTTP attempt to Azure Resource Manager ended: its status, or 0 when no response came. */
  armRequest(status: number): void;
  /** An ARM request is being sent again; `reason` is why its last attempt failed. */
  armRetry(reason: RetryReason): void;
}

/**
 * Why an HTTP attempt is repeated: HTTP 429; HTTP 5xx; no response at all (connection refused
 * or reset, timeout); anything else (an auth challenge, a redirect).
 */
export type RetryReason = 'rate-limited' | 'server-error' | 'network' | 'other';

/** Counts nothing: for tests, the console, and anything built without metrics. */
export const NO_METRICS: Metrics = {
  commandDone: () => undefined,
  ackLatency: () => undefined,
  slackRateLimited: () => undefined,
  slackRetry: () => undefined,
  armRequest: () => undefined,
  armRetry: () => undefined,
};
