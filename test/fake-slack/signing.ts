import { createHmac } from 'node:crypto';

/** Headers Slack adds to every request it sends an app. */
export interface SlackSignatureHeaders {
  'X-Slack-Request-Timestamp': string;
  'X-Slack-Signature': string;
}

/**
 * Signs a request body as Slack does: `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<body>` with the
 * app's signing secret. `body` must be the exact bytes sent. Apps reject timestamps older than
 * 5 minutes, so pass an old `timestampSeconds` to test replay protection.
 */
export function signSlackRequest(
  signingSecret: string,
  body: string,
  timestampSeconds: number = Math.floor(Date.now() / 1000),
): SlackSignatureHeaders {
  const digest = createHmac('sha256', signingSecret).update(`v0:${timestampSeconds}:${body}`).digest('hex');
  return { 'X-Slack-Request-Timestamp': String(timestampSeconds), 'X-Slack-Signature': `v0=${digest}` };
}
