import { LogLevel, WebClient, type WebClientOptions } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAST_RETRY, startFakeSlack, type FakeSlack } from '../../../test/fake-slack/index.ts';
import type { Metrics, RetryReason } from '../../ports/metrics.ts';
import { withSlackMetrics } from './slack-client-metrics.ts';

const CHANNEL = 'C0METRICS01';

/** The Metrics port's Slack half, remembering every call. */
function recordingMetrics() {
  const calls = { rateLimited: [] as string[], retries: [] as RetryReason[] };
  const metrics: Pick<Metrics, 'slackRateLimited' | 'slackRetry'> = {
    slackRateLimited: (method) => void calls.rateLimited.push(method),
    slackRetry: (reason) => void calls.retries.push(reason),
  };
  return { calls, metrics };
}

describe('withSlackMetrics on a real WebClient against the fake Slack', () => {
  let fake: FakeSlack;

  beforeEach(async () => {
    fake = await startFakeSlack();
  });
  afterEach(() => fake.close());

  function client(metrics: Pick<Metrics, 'slackRateLimited' | 'slackRetry'>, options: WebClientOptions = {}) {
    const base = { slackApiUrl: fake.apiUrl, retryConfig: FAST_RETRY, logLevel: LogLevel.ERROR, ...options };
    return new WebClient(fake.token, withSlackMetrics(base, metrics));
  }
  const posts = () =>
    fake.calls.filter((call) => call.method === 'chat.postMessage').map((call) => call.status);

  it('counts a 429 by method and the retry that follows it', async () => {
    const { calls, metrics } = recordingMetrics();
    fake.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 0 });

    await client(metrics).chat.postMessage({ channel: CHANNEL, text: 'once' });

    expect(posts()).toEqual([429, 200]);
    expect(calls).toEqual({ rateLimited: ['chat.postMessage'], retries: ['rate-limited'] });
    expect(fake.messages(CHANNEL)).toHaveLength(1);
  });

  it('counts the retry of a 5xx as a server error, and no 429', async () => {
    const { calls, metrics } = recordingMetrics();
    fake.failNext('chat.postMessage', { status: 503 });

    await client(metrics).chat.postMessage({ channel: CHANNEL, text: 'once' });

    expect(posts()).toEqual([503, 200]);
    expect(calls).toEqual({ rateLimited: [], retries: ['server-error'] });
  });

  it('counts a 429 that is not retried (no Retry-After, or no retries left) and no retry', async () => {
    const { calls, metrics } = recordingMetrics();
    fake.failNext('chat.postMessage', { status: 429, retryAfterSeconds: null });
    fake.failNext('conversations.info', { status: 429, retryAfterSeconds: 0 });

    const unexplained = client(metrics).chat.postMessage({ channel: CHANNEL, text: 'lost' });
    await expect(unexplained).rejects.toThrow(/Retry header/);
    const exhausted = client(metrics, { retryConfig: { retries: 0 } }).conversations.info({
      channel: CHANNEL,
    });
    await expect(exhausted).rejects.toThrow(/rate limit/);

    expect(calls).toEqual({ rateLimited: ['chat.postMessage', 'conversations.info'], retries: [] });
  });

  it('counts the retries of a request that gets no answer as network', async () => {
    const { calls, metrics } = recordingMetrics();
    const nowhere = new WebClient(
      'xoxb-x',
      withSlackMetrics(
        { slackApiUrl: 'http://127.0.0.1:9/api/', retryConfig: FAST_RETRY, logLevel: LogLevel.ERROR },
        metrics,
      ),
    );

    await expect(nowhere.auth.test()).rejects.toThrow(/request error/);

    expect(calls.retries).toEqual(['network', 'network', 'network']);
  });

  it('keeps the fetch and onFailedAttempt it was given', async () => {
    const { calls, metrics } = recordingMetrics();
    const fetched: string[] = [];
    const failed: number[] = [];
    fake.failNext('chat.postMessage', { status: 500 });

    await client(metrics, {
      fetch: (url, init) => {
        fetched.push(String(url).slice(fake.apiUrl.length));
        return fetch(url, init);
      },
      retryConfig: {
        ...FAST_RETRY,
        onFailedAttempt: (error: { attemptNumber: number }) => void failed.push(error.attemptNumber),
      } as WebClientOptions['retryConfig'],
    }).chat.postMessage({ channel: CHANNEL, text: 'once' });

    expect(fetched).toEqual(['chat.postMessage', 'chat.postMessage']);
    expect(failed).toEqual([1]);
    expect(calls.retries).toEqual(['server-error']);
  });
});
