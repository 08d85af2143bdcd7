import type { HttpFault, OperationFault, RequestMatcher } from './types.ts';

const DEFAULT_CODES: Record<number, string> = {
  429: 'SubscriptionRequestsThrottled',
  500: 'InternalServerError',
  503: 'ServiceUnavailable',
};

/** Queued faults, each spent by the matching requests it was given (`times`, default 1). */
export class Faults {
  private readonly http: { fault: HttpFault; left: number }[] = [];
  private readonly operations: { fault: OperationFault; left: number }[] = [];

  addHttp(fault: HttpFault): void {
    this.http.push({ fault, left: fault.times ?? 1 });
  }

  addOperation(fault: OperationFault): void {
    this.operations.push({ fault, left: fault.times ?? 1 });
  }

  /** The reply of the first live HTTP fault that matches, spending one use. */
  takeHttp(
    method: string,
    path: string,
  ): {
    status: number;
    headers: Record<string, string>;
    body: { error: { code: string; message: string } };
  } | null {
    const fault = take(this.http, method, path);
    if (!fault) return null;
    const code = fault.code ?? DEFAULT_CODES[fault.status] ?? 'InternalServerError';
    const message =
      fault.message ??
      (fault.status === 429
        ? `Number of requests for subscription exceeded the limit. Please try again after '${fault.retryAfterInSeconds ?? 0}' seconds.`
        : 'The server encountered an internal error. Please retry the request.');
    const headers: Record<string, string> =
      fault.retryAfterInSeconds === undefined ? {} : { 'Retry-After': String(fault.retryAfterInSeconds) };
    return { status: fault.status, headers, body: { error: { code, message } } };
  }

  takeOperation(method: string, path: string): OperationFault | undefined {
    return take(this.operations, method, path) ?? undefined;
  }
}

function take<T extends RequestMatcher>(
  queue: { fault: T; left: number }[],
  method: string,
  path: string,
): T | null {
  const entry = queue.find((candidate) => candidate.left > 0 && matches(candidate.fault, method, path));
  if (!entry) return null;
  entry.left--;
  return entry.fault;
}

export function matches(matcher: RequestMatcher, method: string, path: string): boolean {
  if (matcher.method && matcher.method.toUpperCase() !== method.toUpperCase()) return false;
  if (matcher.path === undefined) return true;
  return typeof matcher.path === 'string'
    ? path.toLowerCase().includes(matcher.path.toLowerCase())
    : matcher.path.test(path);
}
