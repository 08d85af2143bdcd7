import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { makeSelfSignedCert } from '../support/tls.ts';
import { ArmError } from './errors.ts';
import { matches } from './faults.ts';
import { networkRoutes } from './network.ts';
import { operationRoutes } from './operation-routes.ts';
import { resourceGroupRoutes } from './resource-groups.ts';
import { dispatch, type Reply } from './router.ts';
import { scaleSetViewRoutes } from './scale-set-views.ts';
import { scaleSetRoutes } from './scale-sets.ts';
import { ArmState } from './state.ts';
import type { FakeArm, FakeArmOptions, RequestRecord } from './types.ts';
import { usageRoutes } from './usages.ts';

const ROUTES = [
  ...operationRoutes,
  ...usageRoutes,
  ...scaleSetViewRoutes,
  ...scaleSetRoutes,
  ...networkRoutes,
  ...resourceGroupRoutes,
];

/**
 * Starts a fake Azure Resource Manager over HTTPS on 127.0.0.1 at a free port, with a
 * certificate made for this run. Point the real SDK clients at it with `fakeArmClientOptions`.
 */
export async function startFakeArm(options: FakeArmOptions = {}): Promise<FakeArm> {
  const cert = makeSelfSignedCert();
  const state = new ArmState(options);
  const server = createServer(
    { cert: cert.certPem, key: cert.keyPem },
    (req, res) => void serve(state, req, res),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: state.baseUrl,
    certPem: cert.certPem,
    certPath: cert.certPath,
    subscriptionId: state.subscriptionIds[0] ?? '',
    token: state.token,
    machineHost: state.machineHost,
    requests: state.requests,
    count: (matcher) =>
      state.requests.filter((record) => !matcher || matches(matcher, record.method, record.path)).length,
    failRequest: (fault) => state.faults.addHttp(fault),
    failOperation: (fault) => state.faults.addOperation(fault),
    setLro(settings) {
      if (settings.inProgressPolls !== undefined) state.operations.inProgressPolls = settings.inProgressPolls;
      if (settings.retryAfterInSeconds !== undefined)
        state.operations.retryAfterInSeconds = settings.retryAfterInSeconds;
    },
    setQuota(family, limit) {
      state.quotas[family] = limit;
    },
    settle: () => state.operations.settleAll(),
    resourceIds: () => [
      ...[...state.groups.values()].map((group) => group.id),
      ...[...state.resources.values()].map((r) => r.id),
    ],
    instances(group, scaleSet) {
      const runtime = [...state.scaleSets.values()].find(
        ({ resource }) =>
          resource.group.toLowerCase() === group.toLowerCase() &&
          resource.name.toLowerCase() === scaleSet.toLowerCase(),
      );
      return [...(runtime?.instances.values() ?? [])].map(({ instanceId, powerState, privateIp }) => ({
        instanceId,
        powerState,
        privateIp,
      }));
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => {
          cert.remove();
          if (error) reject(error);
          else resolve();
        });
      }),
  };
}

async function serve(state: ArmState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const atMs = Date.now();
  const url = new URL(req.url ?? '/', 'https://127.0.0.1');
  const path = decodeURIComponent(url.pathname);
  const method = (req.method ?? 'GET').toUpperCase();
  const apiVersion = url.searchParams.get('api-version');
  let reply: Reply;
  let injected = false;
  try {
    const raw = await readBody(req);
    checkAuthorization(state, req);
    if (apiVersion === null || apiVersion === '') {
      throw new ArmError(
        400,
        'MissingApiVersionParameter',
        'The api-version query parameter (?api-version=) is required for all requests.',
      );
    }
    if (!/^\d{4}-\d{2}-\d{2}(-preview)?$/.test(apiVersion)) {
      throw new ArmError(400, 'InvalidApiVersionParameter', `The api-version '${apiVersion}' is invalid.`);
    }
    const fault = state.faults.takeHttp(method, path);
    if (fault) {
      injected = true;
      reply = fault;
    } else {
      reply = await dispatch(ROUTES, {
        state,
        method,
        path,
        query: url.searchParams,
        body: parseJson(raw),
        apiVersion,
      });
    }
  } catch (error) {
    reply =
      error instanceof ArmError
        ? { status: error.status, body: error.body() }
        : { status: 500, body: { error: { code: 'InternalServerError', message: String(error) } } };
  }
  state.requests.push(record(method, path, apiVersion, reply, injected, atMs));
  send(res, method, reply);
}

function checkAuthorization(state: ArmState, req: IncomingMessage): void {
  const header = req.headers.authorization;
  if (!header) {
    throw new ArmError(
      401,
      'AuthenticationFailed',
      "Authentication failed. The 'Authorization' header is missing.",
    );
  }
  const match = /^Bearer (.+)$/.exec(header);
  if (!match || match[1] !== state.token) {
    throw new ArmError(401, 'InvalidAuthenticationToken', 'The access token is invalid.');
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new ArmError(
      400,
      'InvalidRequestContent',
      'The request content was invalid and could not be deserialized.',
    );
  }
}

function record(
  method: string,
  path: string,
  apiVersion: string | null,
  reply: Reply,
  injected: boolean,
  atMs: number,
): RequestRecord {
  const errorCode = (reply.body as { error?: { code?: string } } | undefined)?.error?.code;
  return {
    method,
    path,
    apiVersion,
    status: reply.status,
    ...(errorCode ? { errorCode } : {}),
    injected,
    atMs,
  };
}

function send(res: ServerResponse, method: string, reply: Reply): void {
  const headers: Record<string, string> = {
    'x-ms-request-id': randomUUID(),
    'x-ms-correlation-request-id': randomUUID(),
    ...reply.headers,
  };
  if (reply.status === 401) {
    headers['WWW-Authenticate'] =
      'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token"';
  }
  const hasBody = reply.body !== undefined && method !== 'HEAD' && reply.status !== 204;
  if (hasBody) headers['Content-Type'] = 'application/json; charset=utf-8';
  res.writeHead(reply.status, headers);
  res.end(hasBody ? JSON.stringify(reply.body) : undefined);
}
