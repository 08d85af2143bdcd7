import { ErrorCode, WebClientEvent } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeSlackClient, startFakeSlack, type FakeSlack } from './index.ts';

const CHANNEL = 'C0RATE00001';

describe('fake Slack rate limits and injected faults', () => {
  let fake: FakeSlack;

  beforeEach(async () => {
    fake = await startFakeSlack();
  });
  afterEach(() => fake.close());

  const posts = () => fake.calls.filter((call) => call.method === 'chat.postMessage');

  it('lets a burst of 3 through, then answers 429 with Retry-After and ratelimited', async () => {
    const client = fakeSlackClient(fake, { rejectRateLimitedCalls: true });
    for (const text of ['1', '2', '3']) await client.chat.postMessage({ channel: CHANNEL, text });

    const fourth = await client.chat
      .postMessage({ channel: CHANNEL, text: '4' })
      .catch((error: unknown) => error);
    const raw = await fetch(`${fake.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${fake.token}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ channel: CHANNEL, text: '5' }),
    });

    expect(fourth).toMatchObject({ code: ErrorCode.RateLimitedError, retryAfter: 1 });
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBe('1');
    expect(await raw.json()).toEqual({ ok: false, error: 'ratelimited' });
    expect(fake.messages(CHANNEL).map((m) => m.text)).toEqual(['1', '2', '3']);
  });

  it('is retried by the WebClient after Retry-After, and every message lands once', async () => {
    const client = fakeSlackClient(fake);
    const rateLimitedEvents: number[] = [];
    client.on(WebClientEvent.RATE_LIMITED, (seconds: number) => rateLimitedEvents.push(seconds));
    const startedAtMs = Date.now();

    for (const text of ['1', '2', '3', '4']) await client.chat.postMessage({ channel: CHANNEL, text });

    expect(Date.now() - startedAtMs).toBeGreaterThanOrEqual(1000);
    expect(rateLimitedEvents).toEqual([1]);
    expect(posts().map((call) => call.status)).toEqual([200, 200, 200, 429, 200]);
    expect(fake.messages(CHANNEL).map((m) => m.text)).toEqual(['1', '2', '3', '4']);
  });

  it('keeps one bucket per channel and per method', async () => {
    const client = fakeSlackClient(fake, { rejectRateLimitedCalls: true });
    const parent = await client.chat.postMessage({ channel: CHANNEL, text: 'p' });

    for (const channel of ['C0OTHER0001', 'C0OTHER0002']) {
      for (const text of ['1', '2', '3']) await client.chat.postMessage({ channel, text });
    }
    for (const text of ['1', '2', '3']) await client.chat.update({ channel: CHANNEL, ts: parent.ts!, text });

    expect(fake.violations()).toEqual([]);
  });

  it('takes a new limit from setRateLimit', async () => {
    const client = fakeSlackClient(fake, { rejectRateLimitedCalls: true });
    fake.setRateLimit({ burst: 1 });
    await client.chat.postMessage({ channel: CHANNEL, text: '1' });

    const second = client.chat.postMessage({ channel: CHANNEL, text: '2' });

    await expect(second).rejects.toMatchObject({ code: ErrorCode.RateLimitedError });
  });

  it('injects a 429 that the WebClient waits out', async () => {
    const client = fakeSlackClient(fake);
    fake.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 1 });

    await client.chat.postMessage({ channel: CHANNEL, text: 'once' });

    expect(posts().map((call) => [call.status, call.injected])).toEqual([
      [429, true],
      [200, false],
    ]);
    expect(fake.messages(CHANNEL)).toHaveLength(1);
  });

  it('injects a 5xx, which the WebClient also retries', async () => {
    const client = fakeSlackClient(fake);
    fake.failNext('chat.postMessage', { status: 503 });

    await client.chat.postMessage({ channel: CHANNEL, text: 'once' });

    expect(posts().map((call) => call.status)).toEqual([503, 200]);
    expect(fake.messages(CHANNEL)).toHaveLength(1);
  });

  it('makes the WebClient give up at once on a 429 without Retry-After', async () => {
    const client = fakeSlackClient(fake);
    fake.failNext('chat.postMessage', { status: 429, retryAfterSeconds: null });

    const post = client.chat.postMessage({ channel: CHANNEL, text: 'lost' });

    await expect(post).rejects.toThrow(/Retry header did not contain a valid timeout/);
    expect(posts()).toHaveLength(1);
  });

  it('makes the WebClient throw a plain Error once retries run out on 429s', async () => {
    const client = fakeSlackClient(fake, { retryConfig: { retries: 0 } });
    fake.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 1 });

    const post = client.chat.postMessage({ channel: CHANNEL, text: 'lost' });

    await expect(post).rejects.toThrow('A rate limit was exceeded');
    expect(fake.messages(CHANNEL)).toEqual([]);
  });

  it('injects a Slack error code, answered with HTTP 200 and not retried', async () => {
    const client = fakeSlackClient(fake);
    fake.failNext('chat.postMessage', 'not_in_channel');

    const post = client.chat.postMessage({ channel: CHANNEL, text: 'x' });

    await expect(post).rejects.toMatchObject({
      code: ErrorCode.PlatformError,
      data: { error: 'not_in_channel' },
    });
    expect(fake.violations()).toMatchObject([{ status: 200, error: 'not_in_channel', injected: true }]);
  });
});
