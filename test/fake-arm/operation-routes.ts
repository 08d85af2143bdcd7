import { ArmError } from './errors.ts';
import type { Operation } from './operations.ts';
import { route, type Ctx, type Reply, type Route } from './router.ts';

/**
 * Status polling. `Azure-AsyncOperation` URLs answer 200 with `{status}` (InProgress, then
 * Succeeded or Failed with `error`); `Location` URLs answer 202 while running, then 200 (with
 * the action's result, if any), or the error with 409 when the operation failed.
 */
export const operationRoutes: Route[] = [
  route(
    'GET',
    '^/subscriptions/([^/]+)/providers/(microsoft\\.compute|microsoft\\.network)/locations/([^/]+)/operations/([^/]+)',
    (ctx) =>
      ctx.query.get('monitor') === 'true' ? locationPoll(ctx, ctx.params[3]) : asyncPoll(ctx, ctx.params[3]),
  ),
  route(
    'GET',
    '^/subscriptions/([^/]+)/providers/(microsoft\\.compute|microsoft\\.network)/locations/([^/]+)/operationresults/([^/]+)',
    (ctx) => locationPoll(ctx, ctx.params[3]),
  ),
  route('GET', '^/subscriptions/([^/]+)/operationresults/([^/]+)', (ctx) => locationPoll(ctx, ctx.params[1])),
];

function operationOf(ctx: Ctx, id: string | undefined): Operation {
  ctx.state.checkSubscription(ctx.params[0] ?? '');
  const operation = ctx.state.operations.all.get(id ?? '');
  if (!operation) throw new ArmError(404, 'OperationNotFound', `The operation '${id}' could not be found.`);
  return operation;
}

async function asyncPoll(ctx: Ctx, id: string | undefined): Promise<Reply> {
  const operation = operationOf(ctx, id);
  await ctx.state.operations.advance(operation);
  const body = {
    name: operation.id,
    status: operation.status,
    startTime: operation.startTime,
    ...(operation.endTime ? { endTime: operation.endTime } : {}),
    ...(operation.error ? { error: operation.error } : {}),
  };
  const headers = operation.status === 'InProgress' ? ctx.state.operations.retryAfter() : {};
  return { status: 200, headers, body };
}

async function locationPoll(ctx: Ctx, id: string | undefined): Promise<Reply> {
  const operation = operationOf(ctx, id);
  await ctx.state.operations.advance(operation);
  if (operation.status === 'InProgress') {
    const self = `${ctx.state.baseUrl}${ctx.path}?${ctx.query.toString()}`;
    return { status: 202, headers: { Location: self, ...ctx.state.operations.retryAfter() } };
  }
  if (operation.status === 'Failed') return { status: 409, body: { error: operation.error } };
  return { status: 200, body: operation.work.result?.() };
}
