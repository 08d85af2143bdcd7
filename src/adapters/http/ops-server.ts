import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../ports/logger.ts';

/** A health check: resolves when its part works, rejects saying why not. Must honour the signal. */
export type HealthCheck = (abortSignal: AbortSignal) => Promise<void>;

export interface OpsServerOptions {
  /** MPIBOX_METRICS_PORT; 0: any free port (tests). */
  port: number;
  /**
   * Address to listen on. Default 0.0.0.0: in a container the probes and the scraper come from
   * outside its network namespace, and 127.0.0.1 would be unreachable through a published
   * port. Nothing served here is secret or changes anything, but on a shared host with no
   * firewall pass 127.0.0.1 (or the scrape network's address).
   */
  host?: string;
  /** The Prometheus registry to serve (PromMetrics.registry). */
  metrics: { readonly registry: { readonly contentType: string; metrics(): Promise<string> } };
  /** Named checks for /healthz, e.g. store, provider, slack. Run side by side on every request. */
  checks: Readonly<Record<string, HealthCheck>>;
  /** How long each check may take before it counts as failed (ms). Default 3000. */
  checkTimeoutInMs?: number;
  logger: Logger;
}

/** One check's verdict as /healthz reports it. */
type Verdict = { status: 'ok' } | { status: 'failing'; reason: string };

/**
 * The operations endpoint: `GET /healthz` (200 when every check passes, else 503 naming each
 * failing part and why) and `GET /metrics` (Prometheus text). HEAD answers the same without
 * a body; other methods get 405, other paths 404. Resolves once listening.
 */
export async function startOpsServer(
  options: OpsServerOptions,
): Promise<{ port: number; close(): Promise<void> }> {
  const { logger } = options;
  const timeoutInMs = options.checkTimeoutInMs ?? 3000;
  const lastStatus = new Map<string, Verdict['status']>();
  // Probes from several places at once share one run of the checks.
  let running: Promise<Record<string, Verdict>> | null = null;

  async function runChecks(): Promise<Record<string, Verdict>> {
    const names = Object.keys(options.checks);
    const verdicts = await Promise.all(names.map((name) => verdictOf(options.checks[name]!, timeoutInMs)));
    const result = Object.fromEntries(names.map((name, index) => [name, verdicts[index]!]));
    for (const [check, verdict] of Object.entries(result)) {
      // Logged when a part changes state, not on every probe (they come every few seconds).
      if (lastStatus.get(check) === verdict.status) continue;
      if (verdict.status === 'failing')
        logger.warn('health check failing', { check, reason: verdict.reason });
      else if (lastStatus.has(check)) logger.info('health check passing again', { check });
      lastStatus.set(check, verdict.status);
    }
    return result;
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?', 1)[0];
    if (path !== '/healthz' && path !== '/metrics') return send(res, 404, 'text/plain', 'not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'text/plain', 'method not allowed\n');
    }
    if (path === '/metrics') {
      let text;
      try {
        text = await options.metrics.registry.metrics();
      } catch (error) {
        logger.error('metrics collection failed', { error: shortReason(error) });
        return send(res, 500, 'text/plain', 'metrics collection failed\n');
      }
      return send(res, 200, options.metrics.registry.contentType, text);
    }
    running ??= runChecks().finally(() => (running = null));
    const checks = await running;
    const ok = Object.values(checks).every((verdict) => verdict.status === 'ok');
    const body = { status: ok ? 'ok' : 'failing', checks };
    return send(res, ok ? 200 : 503, 'application/json', `${JSON.stringify(body)}\n`);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error('ops request failed', { error: shortReason(error) });
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
      else res.destroy();
    });
  });
  // Probes and scrapes are small and quick; a client that dawdles loses its connection.
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => logger.error('ops server error', { error: shortReason(error) }));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Runs one check with a deadline; a check that throws synchronously fails like one that rejects. */
async function verdictOf(check: HealthCheck, timeoutInMs: number): Promise<Verdict> {
  const deadline = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<Verdict>((resolve) => {
    timer = setTimeout(() => {
      deadline.abort(new Error(`timed out after ${timeoutInMs} ms`));
      resolve({ status: 'failing', reason: `timed out after ${timeoutInMs} ms` });
    }, timeoutInMs);
  });
  const checked = (async (): Promise<Verdict> => {
    try {
      await check(deadline.signal);
      return { status: 'ok' };
    } catch (error) {
      return { status: 'failing', reason: shortReason(error) };
    }
  })();
  try {
    return await Promise.race([checked, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The first line of an error's message, short, with anything token-like blanked: the body of
 * /healthz is readable by whoever reaches the port, so no stack and no secret may reach it.
 */
export function shortReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const line = (message.split('\n', 1)[0] ?? '').trim() || 'failed';
  const clean = line
    .replace(/\bxox[a-z]-[\w-]+|\bxapp-[\w-]+/gi, '[token]')
    .replace(/\b(Bearer|Basic)\s+\S+/gi, '$1 [redacted]')
    .replace(/(https?:\/\/[^\s?#]*)\?\S*/gi, '$1?[redacted]')
    .replace(/\b(sig|key|secret|password|token)=[^&\s]+/gi, '$1=[redacted]');
  return clean.length > 200 ? `${clean.slice(0, 199)}…` : clean;
}

function send(res: http.ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(body); // Node sends no body for HEAD
}
