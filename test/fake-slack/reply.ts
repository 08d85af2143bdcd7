/** What a handler answers; the server turns it into an HTTP response and a CallRecord. */
export interface Reply {
  status: number;
  /** JSON object, or plain text (the upload endpoint answers text). */
  body: Record<string, unknown> | string;
  headers?: Record<string, string>;
  /** Why the fake refused, for test failure messages. */
  detail?: string;
}

/** Slack answers every Web API outcome except rate limits with HTTP 200 and an `ok` flag. */
export function ok(fields: Record<string, unknown> = {}): Reply {
  return { status: 200, body: { ok: true, ...fields } };
}

export function fail(error: string, detail?: string): Reply {
  return { status: 200, body: { ok: false, error }, detail };
}

export function rateLimited(retryAfterSeconds: number | null, detail?: string): Reply {
  const headers = retryAfterSeconds === null ? undefined : { 'Retry-After': String(retryAfterSeconds) };
  return { status: 429, body: { ok: false, error: 'ratelimited' }, headers, detail };
}

/** The error code of a reply, if it is a failure. */
export function errorOf(reply: Reply): string | undefined {
  if (typeof reply.body === 'string') return reply.status === 200 ? undefined : reply.body;
  const error = reply.body.error;
  return typeof error === 'string' ? error : undefined;
}
