import { LogLevel, WebClient, type WebClientOptions } from '@slack/web-api';
import type { FakeSlack } from './types.ts';

/** Retries like the default policy does, but in milliseconds instead of minutes. */
export const FAST_RETRY = { retries: 3, factor: 1, minTimeout: 10, maxTimeout: 100 };

/** The real WebClient pointed at the fake, quick to retry and quiet. */
export function fakeSlackClient(fake: FakeSlack, options: WebClientOptions = {}): WebClient {
  return new WebClient(fake.token, {
    slackApiUrl: fake.apiUrl,
    retryConfig: FAST_RETRY,
    logLevel: LogLevel.ERROR,
    ...options,
  });
}

/** The Slack error code a WebClient call failed with (`ok` when it succeeded). Never rejects. */
export async function slackErrorOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'ok';
  } catch (error) {
    const data = (error as { data?: { error?: unknown } }).data;
    return typeof data?.error === 'string' ? data.error : String(error);
  }
}
