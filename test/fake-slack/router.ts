import type { IncomingMessage } from 'node:http';
import { parseArgs, tokenOf } from './http-io.ts';
import { METHODS } from './methods/index.ts';
import { errorOf, fail, rateLimited, type Reply } from './reply.ts';
import { answerResponse } from './response-endpoint.ts';
import { appsConnectionsOpen } from './socket-mode/connections-open.ts';
import type { SlackState } from './state.ts';
import type { Fault } from './types.ts';
import { answerUpload } from './upload-endpoint.ts';

export interface Answer {
  method: string;
  body: Record<string, unknown>;
  reply: Reply;
  injected: boolean;
}

export type FaultQueues = Map<string, Fault[]>;

/** Routes `/api/<method>`, `/upload/<file_id>` and `/response/<id>`; server.ts upgrades `/socket`. */
export async function answer(
  state: SlackState,
  faults: FaultQueues,
  req: IncomingMessage,
  raw: Buffer,
  nowMs: number,
): Promise<Answer> {
  const url = new URL(req.url ?? '/', state.baseUrl);
  const [, kind, rawName = ''] = url.pathname.split('/');
  const name = decodeURIComponent(rawName);
  if (kind === 'upload') {
    return injectedOr(faults, 'upload', { file_id: name }, () => answerUpload(state, name, req, raw));
  }
  if (kind === 'response') {
    return injectedOr(faults, 'response_url', { id: name }, async () => answerResponse(state, name, raw));
  }
  if (kind !== 'api')
    return { method: url.pathname, body: {}, reply: fail('unknown_method'), injected: false };

  const parsed = await parseArgs(req, raw, url.searchParams);
  if ('error' in parsed) return { method: name, body: {}, reply: fail(parsed.error), injected: false };
  const { token: _token, ...body } = parsed.args;
  if (name === 'apps.connections.open') {
    return injectedOr(faults, name, body, async () => ({
      body,
      reply: appsConnectionsOpen(state, req, parsed.args),
    }));
  }
  const token = tokenOf(req, parsed.args);
  if (!token) return { method: name, body, reply: fail('not_authed'), injected: false };
  if (!state.tokens.includes(token))
    return { method: name, body, reply: fail('invalid_auth'), injected: false };
  return injectedOr(faults, name, body, async () => ({ body, reply: callMethod(state, name, body, nowMs) }));
}

function callMethod(state: SlackState, method: string, args: Record<string, unknown>, nowMs: number): Reply {
  const spec = METHODS[method];
  if (!spec) return fail('unknown_method', `the fake does not implement ${method}`);
  const reply = spec.handle({ args, state, nowMs });
  const error = errorOf(reply);
  if (error && error !== 'ratelimited' && !spec.errors.includes(error)) {
    throw new Error(`fake-slack bug: ${method} answered ${error}, which it does not declare`);
  }
  return reply;
}

async function injectedOr(
  faults: FaultQueues,
  method: string,
  body: Record<string, unknown>,
  run: () => Promise<{ body: Record<string, unknown>; reply: Reply }>,
): Promise<Answer> {
  const fault = faults.get(method)?.shift();
  if (fault !== undefined) return { method, body, reply: faultReply(fault), injected: true };
  return { method, ...(await run()), injected: false };
}

function faultReply(fault: Fault): Reply {
  if (typeof fault === 'string') return fail(fault, 'injected by failNext');
  if (fault.status === 429) {
    const reply = rateLimited(
      fault.retryAfterSeconds === undefined ? 1 : fault.retryAfterSeconds,
      'injected',
    );
    return fault.error ? { ...reply, body: { ok: false, error: fault.error } } : reply;
  }
  const headers =
    fault.retryAfterSeconds == null ? undefined : { 'Retry-After': String(fault.retryAfterSeconds) };
  return { status: fault.status, body: { ok: false, error: fault.error ?? 'internal_error' }, headers };
}
