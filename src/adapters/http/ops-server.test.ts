import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryLogger } from '../../../test/fakes/harness.ts';
import { parsePromText, sampleValue } from '../metrics/fixtures.ts';
import { PromMetrics } from '../metrics/prom-metrics.ts';
import { openSqliteStore, type SqliteStore } from '../store-sqlite/sqlite-store.ts';
import { shortReason, startOpsServer, type HealthCheck } from './ops-server.ts';

const PASS: HealthCheck = async () => undefined;

describe('ops server', () => {
  let store: SqliteStore;
  let logger: MemoryLogger;
  let metrics: PromMetrics;
  let server: { port: number; close(): Promise<void> } | null = null;

  beforeEach(() => {
    store = openSqliteStore(':memory:');
    logger = new MemoryLogger();
    metrics = new PromMetrics({ store, logger });
  });
  afterEach(async () => {
    await server?.close();
    server = null;
    store.close();
  });

  async function start(checks: Record<string, HealthCheck>, checkTimeoutInMs?: number) {
    server = await startOpsServer({
      port: 0,
      host: '127.0.0.1',
      metrics,
      checks,
      logger,
      ...(checkTimeoutInMs ? { checkTimeoutInMs } : {}),
    });
    return `http://127.0.0.1:${server.port}`;
  }

  it('answers /healthz 200 with every check ok', async () => {
    const url = await start({ store: PASS, provider: PASS, slack: PASS });

    const response = await fetch(`${url}/healthz`);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({
      status: 'ok',
      checks: { store: { status: 'ok' }, provider: { status: 'ok' }, slack: { status: 'ok' } },
    });
  });

  it('answers 503 naming the failing parts: an error without its secrets or stack, a check that hangs', async () => {
    const url = await start(
      {
        store: PASS,
        provider: async () => {
          throw new Error(
            'connect ECONNREFUSED https://management.azure.com/x?sig=abc\n    at stack (x.ts:1)',
          );
        },
        slack: (signal) =>
          new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
      },
      200,
    );
    const startedAtMs = Date.now();

    const response = await fetch(`${url}/healthz`);
    const body = await response.json();

    expect(response.status).toBe(503);
    expect(Date.now() - startedAtMs).toBeLessThan(2000);
    expect(body).toEqual({
      status: 'failing',
      checks: {
        store: { status: 'ok' },
        provider: {
          status: 'failing',
          reason: 'connect ECONNREFUSED https://management.azure.com/x?[redacted]',
        },
        slack: { status: 'failing', reason: 'timed out after 200 ms' },
      },
    });
    expect(logger.lines.filter((line) => line.message === 'health check failing')).toHaveLength(2);
  });

  it('logs a failing part once, and again when it passes', async () => {
    let healthy = false;
    const url = await start({
      store: async () => {
        if (!healthy) throw new Error('SQLITE_READONLY: attempt to write a readonly database');
      },
    });

    const first = await fetch(`${url}/healthz`);
    const second = await fetch(`${url}/healthz`);
    healthy = true;
    const third = await fetch(`${url}/healthz`);

    expect([first.status, second.status, third.status]).toEqual([503, 503, 200]);
    expect(logger.lines.map((line) => line.message)).toEqual([
      'health check failing',
      'health check passing again',
    ]);
  });

  it('serves /metrics as parseable Prometheus text with its content type', async () => {
    const url = await start({ store: PASS });
    metrics.commandDone('status', 'ok');

    const response = await fetch(`${url}/metrics`);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = parsePromText(await response.text());
    expect(sampleValue(families, 'mpibox_commands_total', { verb: 'status', outcome: 'ok' })).toBe(1);
    expect(sampleValue(families, 'mpibox_clusters', { state: 'ready' })).toBe(0);
  });

  it('answers HEAD without a body, 404 elsewhere and 405 to other methods', async () => {
    const url = await start({ store: PASS });

    const head = await fetch(`${url}/healthz`, { method: 'HEAD' });
    const headMetrics = await fetch(`${url}/metrics?x=1`, { method: 'HEAD' });
    const missing = await fetch(`${url}/`);
    const post = await fetch(`${url}/metrics`, { method: 'POST', body: 'x' });

    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect(headMetrics.status).toBe(200);
    expect(headMetrics.headers.get('content-type')).toContain('text/plain');
    expect(missing.status).toBe(404);
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('answers 500 when collecting the metrics fails', async () => {
    server = await startOpsServer({
      port: 0,
      host: '127.0.0.1',
      metrics: { registry: { contentType: 'text/plain', metrics: () => Promise.reject(new Error('boom')) } },
      checks: {},
      logger,
    });

    const response = await fetch(`http://127.0.0.1:${server.port}/metrics`);

    expect(response.status).toBe(500);
    expect(logger.lines.map((line) => line.message)).toEqual(['metrics collection failed']);
  });

  it('listens on every address by default, only on the given one when told, and refuses a port in use', async () => {
    // 127.0.0.2 is loopback too on Linux, but only a socket bound to 0.0.0.0 answers there.
    server = await startOpsServer({ port: 0, metrics, checks: {}, logger });
    const narrow = await startOpsServer({ port: 0, host: '127.0.0.1', metrics, checks: {}, logger });

    const wide = await fetch(`http://127.0.0.2:${server.port}/healthz`);
    const refused = await fetch(`http://127.0.0.2:${narrow.port}/healthz`).then(
      () => 'answered',
      () => 'refused',
    );
    const taken = await startOpsServer({
      port: narrow.port,
      host: '127.0.0.1',
      metrics,
      checks: {},
      logger,
    }).then(
      () => 'listening',
      (error: Error) => error.message,
    );

    expect(wide.status).toBe(200);
    expect(refused).toBe('refused');
    expect(taken).toMatch(/EADDRINUSE/);
    await narrow.close();
  });
});

describe('shortReason', () => {
  it('keeps one short line and blanks tokens', () => {
    expect(shortReason(new Error('invalid_auth for xoxb-123-456-abc\nstack'))).toBe(
      'invalid_auth for [token]',
    );
    expect(shortReason('Authorization: Bearer eyJhbGciOi')).toBe('Authorization: Bearer [redacted]');
    expect(shortReason(new Error('x'.repeat(500)))).toHaveLength(200);
    expect(shortReason(new Error(''))).toBe('failed');
  });
});
