import { ArmError } from './errors.ts';
import { operationUrls, type OperationStyle, type OperationWork } from './operations.ts';
import type { ArmState } from './state.ts';
import type { Json } from './types.ts';

/** One request, parsed. */
export interface Ctx {
  state: ArmState;
  method: string;
  /** Decoded path, without the query. */
  path: string;
  query: URLSearchParams;
  /** Parsed JSON body; undefined when empty. */
  body: unknown;
  apiVersion: string;
  /** Capture groups of the route's pattern, decoded. */
  params: string[];
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export type Handler = (ctx: Ctx) => Reply | Promise<Reply>;

export interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

/** The subscription-and-group prefix of every resource route, captured as params 0 and 1. */
export const GROUP = '^/subscriptions/([^/]+)/resourcegroups/([^/]+)';

export function route(method: string, pattern: string, handler: Handler): Route {
  return { method, pattern: new RegExp(`${pattern}$`, 'i'), handler };
}

export async function dispatch(routes: Route[], ctx: Omit<Ctx, 'params'>): Promise<Reply> {
  let pathMatched = false;
  for (const candidate of routes) {
    const match = candidate.pattern.exec(ctx.path);
    if (!match) continue;
    pathMatched = true;
    if (candidate.method !== ctx.method) continue;
    return candidate.handler({ ...ctx, params: match.slice(1) });
  }
  if (pathMatched) {
    throw new ArmError(
      405,
      'MethodNotAllowed',
      `The requested resource does not support http method '${ctx.method}'.`,
    );
  }
  throw new ArmError(
    404,
    'InvalidResourceType',
    `The resource type could not be found for the path '${ctx.path}' in the fake ARM.`,
  );
}

/** The body as an object, or 400 like ARM's request-content check. */
export function objectBody(ctx: Ctx): Json {
  if (typeof ctx.body !== 'object' || ctx.body === null || Array.isArray(ctx.body)) {
    throw new ArmError(
      400,
      'InvalidRequestContent',
      'The request content was invalid and could not be deserialized.',
    );
  }
  return ctx.body as Json;
}

/** Starts an operation (with any queued failure for this request) and gives its polling headers. */
export function startOperation(
  ctx: Ctx,
  subscriptionId: string,
  style: OperationStyle,
  work: OperationWork,
  headers: 'async' | 'location' | 'both',
): Record<string, string> {
  const operations = ctx.state.operations;
  const operation = operations.start(work, ctx.state.faults.takeOperation(ctx.method, ctx.path));
  const urls = operationUrls(ctx.state.baseUrl, subscriptionId, style, operation, ctx.apiVersion);
  const result: Record<string, string> = { ...operations.retryAfter() };
  if (headers !== 'location' && urls.asyncOperation) result['Azure-AsyncOperation'] = urls.asyncOperation;
  if (headers !== 'async' || !urls.asyncOperation) result.Location = urls.location;
  return result;
}
