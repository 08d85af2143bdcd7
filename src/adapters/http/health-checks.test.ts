import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { WebClient } from '@slack/web-api';
import Sqlite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../test/fakes/fake-clock.ts';
import { fakeSlackClient, startFakeSlack, type FakeSlack } from '../../../test/fake-slack/index.ts';
import { makeTempDir } from '../../../test/support/local-fixtures.ts';
import { openSqliteStore, SqliteStore } from '../store-sqlite/sqlite-store.ts';
import {
  cachedCheck,
  providerReachableCheck,
  slackAuthCheck,
  socketConnectedCheck,
  storeWritableCheck,
} from './health-checks.ts';

const SIGNAL = new AbortController().signal;

describe('health checks', () => {
  let dir: string;

  beforeEach(() => {
    dir = makeTempDir('mpibox-health');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('store writable: passes on a writable store and keeps nothing', async () => {
    const store = openSqliteStore(path.join(dir, 'mpibox.db'));

    await storeWritableCheck(store, dir)(SIGNAL);

    expect(store.listAudit(10)).toEqual([]);
    expect(fs.readdirSync(dir).filter((name) => name.startsWith('.health'))).toEqual([]);
    store.close();
  });

  it('store writable: fails on a database opened read-only, and on a folder it cannot write', async () => {
    const file = path.join(dir, 'mpibox.db');
    openSqliteStore(file).close();
    const readOnly = new SqliteStore(new Sqlite(file, { readonly: true }));
    const writable = openSqliteStore(':memory:');

    const refused = storeWritableCheck(readOnly)(SIGNAL);
    const noFolder = storeWritableCheck(writable, path.join(dir, 'missing'))(SIGNAL);

    await expect(refused).rejects.toThrow(/readonly/);
    await expect(noFolder).rejects.toThrow(/ENOENT/);
    readOnly.close();
    writable.close();
  });

  it('provider reachable: passes the signal on and fails with the provider', async () => {
    const signals: AbortSignal[] = [];
    let answer: Promise<never[]> = Promise.resolve([]);
    const provider = {
      listClusters: (signal?: AbortSignal) => {
        signals.push(signal!);
        return answer;
      },
    };

    await providerReachableCheck(provider)(SIGNAL);
    answer = Promise.reject(new Error('getaddrinfo ENOTFOUND management.azure.com'));
    const failing = providerReachableCheck(provider)(SIGNAL);

    await expect(failing).rejects.toThrow('ENOTFOUND');
    expect(signals).toEqual([SIGNAL, SIGNAL]);
  });

  it('socket connected: fails only once down longer than the grace period', async () => {
    const clock = new FakeClock();
    const socket = new EventEmitter();
    const check = socketConnectedCheck(socket, { clock, graceInMs: 30_000 });
    const verdict = () =>
      check(SIGNAL).then(
        () => 'ok',
        (error: Error) => error.message,
      );

    const starting = await verdict();
    clock.advance(31_000);
    const neverConnected = await verdict();
    socket.emit('connected');
    const connected = await verdict();
    socket.emit('close');
    clock.advance(10_000);
    socket.emit('reconnecting');
    clock.advance(10_000);
    const blip = await verdict();
    clock.advance(20_000);
    const down = await verdict();

    expect([starting, neverConnected, connected, blip, down]).toEqual([
      'ok',
      'Socket Mode not connected for 31 s',
      'ok',
      'ok',
      'Socket Mode not connected for 40 s',
    ]);
  });

  it('cached: one run per period, failures included, shared by callers meanwhile', async () => {
    const clock = new FakeClock();
    let runs = 0;
    const check = cachedCheck(
      async () => {
        runs += 1;
        if (runs === 1) throw new Error('first run fails');
      },
      { ttlInMs: 60_000, clock },
    );

    const first = await Promise.allSettled([check(SIGNAL), check(SIGNAL)]);
    clock.advance(59_000);
    const cached = await Promise.allSettled([check(SIGNAL)]);
    clock.advance(1_000);
    const fresh = await Promise.allSettled([check(SIGNAL)]);

    expect(first.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(cached[0]!.status).toBe('rejected');
    expect(fresh[0]!.status).toBe('fulfilled');
    expect(runs).toBe(2);
  });
});

describe('slackAuthCheck on the fake Slack', () => {
  let fake: FakeSlack;

  beforeEach(async () => {
    fake = await startFakeSlack();
  });
  afterEach(() => fake.close());

  it('passes with the bot token and names the error with a wrong one', async () => {
    const good = slackAuthCheck(fakeSlackClient(fake, { retryConfig: { retries: 0 } }));
    const stranger = new WebClient('xoxb-not-the-bot', {
      slackApiUrl: fake.apiUrl,
      retryConfig: { retries: 0 },
    });

    await good(SIGNAL);
    const refused = slackAuthCheck(stranger)(SIGNAL);

    await expect(refused).rejects.toThrow(/invalid_auth/);
  });
});
