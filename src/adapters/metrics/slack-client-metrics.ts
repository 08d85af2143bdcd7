import webApi, { type FetchFunction, type RetryOptions, type WebClientOptions } from '@slack/web-api';
import type { Metrics, RetryReason } from '../../ports/metrics.ts';

/** What p-retry (which the WebClient runs every call through) hands `onFailedAttempt`. */
type FailedAttempt = Error & { retriesLeft?: number; code?: string; statusCode?: number; original?: Error };

/**
 * `options` for a `@slack/web-api` WebClient (or Bolt's `clientOptions`, which it hands to
 * every client it makes) that also count Slack's 429s and the client's retries:
 *
 * - 429s: every HTTP answer passes through `fetch`, so a 429 is counted by method whether or
 *   not it came with Retry-After (the client's `rate_limited` event only fires with one).
 * - retries: the client runs each call through p-retry with `retryConfig` as its options, and
 *   p-retry calls `onFailedAttempt` after each failed attempt except those it gives up on at
 *   once; the attempt is sent again exactly when `retriesLeft > 0` (none of our policies set
 *   `maxRetryTime`). WebClient 8.2's `RetryOptions` type does not name the hook, but
 *   `makeRequest` passes the object to p-retry 4 as it is.
 *
 * A `fetch` or `onFailedAttempt` already in `options` still runs. Setting `fetch` stops the
 * Socket Mode client from installing its own (it does so only for a proxy `dispatcher`).
 */
export function withSlackMetrics(
  options: WebClientOptions,
  metrics: Pick<Metrics, 'slackRateLimited' | 'slackRetry'>,
): WebClientOptions {
  const apiUrl = options.slackApiUrl ?? 'https://slack.com/api/';
  const send: FetchFunction = options.fetch ?? ((url, init) => fetch(url, init));
  const policy: RetryOptions & { onFailedAttempt?: (error: FailedAttempt) => unknown } =
    options.retryConfig ?? webApi.retryPolicies.tenRetriesInAboutThirtyMinutes; // the client's default
  const retryConfig: typeof policy = {
    ...policy,
    onFailedAttempt: async (error) => {
      if ((error.retriesLeft ?? 0) > 0) metrics.slackRetry(retryReason(error));
      await policy.onFailedAttempt?.(error);
    },
  };
  return {
    ...options,
    retryConfig,
    fetch: async (url, init) => {
      const response = await send(url, init);
      if (response.status === 429) metrics.slackRateLimited(methodOf(String(url), apiUrl));
      return response;
    },
  };
}

/** Why the WebClient's attempt failed, from the error its `makeRequest` threw. */
function retryReason(error: FailedAttempt): RetryReason {
  // A 429 with Retry-After: the client waits it out, then throws a plain Error to retry, which
  // its own catch wraps as a request error (ErrorCode.RequestError) like a network failure.
  if (error.code === 'slack_webapi_request_error')
    return error.original?.message.startsWith('A rate limit was exceeded') ? 'rate-limited' : 'network';
  if (error.code === 'slack_webapi_http_error' && (error.statusCode ?? 0) >= 500) return 'server-error';
  return 'other';
}

/** `chat.postMessage` from `<apiUrl>chat.postMessage`; `other` for any other URL (response_url). */
function methodOf(url: string, apiUrl: string): string {
  const method = url.startsWith(apiUrl) ? url.slice(apiUrl.length) : '';
  return /^[a-zA-Z]+(\.[a-zA-Z]+)+$/.test(method) ? method : 'other';
}
