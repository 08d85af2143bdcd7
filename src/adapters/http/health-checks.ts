import fs from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../../ports/clock.ts';
import type { CloudProvider } from '../../ports/cloud-provider.ts';
import type { Store } from '../../ports/store.ts';
import type { HealthCheck } from './ops-server.ts';

/** Thrown inside the probe transaction to roll it back. */
const ROLLBACK = new Error('health check rollback');

/**
 * Store writable: an audit line written inside a transaction that is then rolled back, so the
 * database takes the write lock and runs an INSERT (a read-only file, a lock held elsewhere or
 * a broken file fail here) and nothing is kept. A rolled-back write never reaches the disk, so
 * with `dir` (the data folder) a small file is also written, flushed and removed there, which
 * a full disk or a read-only mount refuses.
 */
export function storeWritableCheck(store: Pick<Store, 'transaction' | 'audit'>, dir?: string): HealthCheck {
  return async () => {
    try {
      store.transaction(() => {
        store.audit({ atMs: 0, userId: 'mpibox-health', channelId: 'mpibox-health', text: '', result: 'ok' });
        throw ROLLBACK;
      });
    } catch (error) {
      if (error !== ROLLBACK) throw error;
    }
    if (dir === undefined) return;
    const probe = path.join(dir, `.health-${process.pid}`);
    const file = await fs.open(probe, 'w', 0o600);
    try {
      await file.writeFile('ok\n');
      await file.sync();
    } finally {
      await file.close();
      await fs.rm(probe, { force: true });
    }
  };
}

/**
 * Provider reachable: the read-only `listClusters` (Azure: the tagged resource groups and their
 * scale sets; local: the cluster folders). Wrap it in `cachedCheck`: probes come every few
 * seconds and ARM's read budget is per subscription.
 */
export function providerReachableCheck(provider: Pick<CloudProvider, 'listClusters'>): HealthCheck {
  return async (abortSignal) => {
    await provider.listClusters(abortSignal);
  };
}

/**
 * Slack reachable and the token good: `auth.test` through `client`. Give it a WebClient of
 * its own with `retryConfig: { retries: 0 }` and a short `timeout`, or a failing Slack keeps
 * one call retrying for half an hour behind every probe; wrap it in `cachedCheck`.
 */
export function slackAuthCheck(client: { auth: { test(): Promise<unknown> } }): HealthCheck {
  return async () => {
    await client.auth.test();
  };
}

/** The events a Socket Mode client (`@slack/socket-mode`) emits as its connection comes and goes. */
export interface SocketStateEvents {
  on(event: 'connected' | 'close' | 'disconnected' | 'reconnecting', listener: () => void): unknown;
}

/**
 * Slack connected (Socket Mode): fails once the socket has been down longer than `graceInMs`.
 * Slack replaces every socket every few hours and the client reconnects within seconds, so a
 * short gap is normal. Starts as down (since now): the app connects at start.
 */
export function socketConnectedCheck(
  client: SocketStateEvents,
  options: { clock: Pick<Clock, 'nowInMs'>; graceInMs?: number },
): HealthCheck {
  const graceInMs = options.graceInMs ?? 30_000;
  let downSinceMs: number | null = options.clock.nowInMs();
  client.on('connected', () => (downSinceMs = null));
  for (const event of ['close', 'disconnected', 'reconnecting'] as const)
    client.on(event, () => (downSinceMs ??= options.clock.nowInMs()));
  return async () => {
    if (downSinceMs === null) return;
    const downForMs = options.clock.nowInMs() - downSinceMs;
    if (downForMs > graceInMs)
      throw new Error(`Socket Mode not connected for ${Math.round(downForMs / 1000)} s`);
  };
}

/**
 * `check` run at most once per `ttlInMs`: the verdict (pass or failure) is reused until then,
 * and callers that come while a run is going share it.
 */
export function cachedCheck(
  check: HealthCheck,
  options: { ttlInMs: number; clock: Pick<Clock, 'nowInMs'> },
): HealthCheck {
  let last: { atMs: number; outcome: Promise<void> } | null = null;
  return (abortSignal) => {
    const now = options.clock.nowInMs();
    if (last === null || now - last.atMs >= options.ttlInMs) {
      const outcome = check(abortSignal);
      outcome.catch(() => undefined); // reported to whoever awaits it
      last = { atMs: now, outcome };
    }
    return last.outcome;
  };
}
