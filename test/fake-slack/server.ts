import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody, send } from './http-io.ts';
import { newTriggerId } from './ids.ts';
import { errorOf } from './reply.ts';
import { answer, type Answer, type FaultQueues } from './router.ts';
import { SlackState } from './state.ts';
import type { SocketModeHub } from './socket-mode/hub.ts';
import type { FakeSocketMode } from './socket-mode/types.ts';
import type { CallRecord, FakeSlack, FakeSlackOptions } from './types.ts';

/**
 * Starts a fake Slack Web API on 127.0.0.1 at a free port, with Socket Mode (`/socket`) on the
 * same port. Close it with `fake.close()`.
 */
export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const state = new SlackState(options);
  const faults: FaultQueues = new Map();
  const server = createServer((req, res) => void serve(state, faults, req, res));
  server.on('upgrade', (req, socket, head) => state.socket.upgrade(req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return facade(state, faults, server);
}

async function serve(state: SlackState, faults: FaultQueues, req: IncomingMessage, res: ServerResponse) {
  const atMs = Date.now();
  let result: Answer;
  try {
    result = await answer(state, faults, req, await readBody(req), atMs);
  } catch (error) {
    const reply = { status: 500, body: { ok: false, error: 'fatal_error' }, detail: String(error) };
    result = { method: req.url ?? '', body: {}, reply, injected: false };
  }
  state.calls.push(callRecord(result, atMs));
  send(res, result.reply);
}

function callRecord({ method, body, reply, injected }: Answer, atMs: number): CallRecord {
  const refused = typeof reply.body === 'object' && reply.body.ok === false;
  const ok = reply.status === 200 && !refused;
  const error = ok ? undefined : (errorOf(reply) ?? `http_${reply.status}`);
  return {
    method,
    body,
    status: reply.status,
    ok,
    error,
    detail: reply.detail,
    injected,
    response: reply.body,
    atMs,
  };
}

function facade(state: SlackState, faults: FaultQueues, server: Server): FakeSlack {
  return {
    apiUrl: `${state.baseUrl}/api/`,
    baseUrl: state.baseUrl,
    token: state.tokens[0] ?? '',
    bot: state.bot,
    calls: state.calls,
    files: state.files,
    views: state.views,
    messages: (channel) => state.messagesOf(channel),
    ephemerals: (channel) => structuredClone(state.ephemerals.get(channel) ?? []),
    failNext(method, fault) {
      faults.set(method, [...(faults.get(method) ?? []), fault]);
    },
    setRateLimit: (limit) => state.limiter.set(limit),
    violations: () => state.calls.filter((call) => !call.ok),
    responseUrl(id = state.nextId('R'), origin) {
      if (!state.responseUrls.has(id)) state.responseUrls.set(id, { origin, records: [] });
      return `${state.baseUrl}/response/${encodeURIComponent(id)}`;
    },
    responses: (id) => state.responseUrls.get(id)?.records ?? [],
    triggerId: () => newTriggerId(),
    socket: socketFacade(state.socket),
    close: () =>
      new Promise<void>((resolve, reject) => {
        state.socket.closeAll();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function socketFacade(hub: SocketModeHub): FakeSocketMode {
  return {
    appToken: hub.appTokens[0] ?? '',
    send: (envelope) => hub.send(envelope),
    sendRaw: (frame) => hub.sendRaw(frame),
    connected: (timeoutInMs = 10_000) => hub.connected(timeoutInMs),
    disconnect: (reason = 'refresh_requested') => hub.disconnect(reason),
    connections: hub.connections,
    acks: hub.acks,
    violations: () => [...hub.violations],
  };
}
