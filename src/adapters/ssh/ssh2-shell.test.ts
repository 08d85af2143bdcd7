import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../test/support/local-fixtures.ts';
import { loadOrCreateBotKey } from './bot-key.ts';
import { eventually, startSlowSshServer, type SlowSshServer } from './fixtures.ts';
import { Ssh2JobRunner } from './ssh2-job-runner.ts';
import { Ssh2Shell } from './ssh2-shell.ts';

const HANDSHAKE_DELAY_IN_MS = 400;

describe('Ssh2Shell and Ssh2JobRunner connections', () => {
  const dir = makeTempDir('mpibox-ssh2');
  const bot = loadOrCreateBotKey(dir);
  let server: SlowSshServer;
  const target = () => ({ host: '127.0.0.1', port: server.port, user: 'anyone' });
  const knownHostKeys = (host: string, port: number) =>
    host === '127.0.0.1' && port === server.port ? [server.hostKeyLine] : null;
  const shell = () => new Ssh2Shell(bot.privateKey, knownHostKeys);

  // A server per test, so a connection one test leaks cannot fail the next.
  beforeEach(async () => {
    server = await startSlowSshServer(dir, HANDSHAKE_DELAY_IN_MS);
  });

  afterEach(async () => {
    await server.close();
  });

  it('reads a server’s host key from the handshake without logging in, and leaves no connection', async () => {
    const line = await shell().scanHostKey('127.0.0.1', server.port, 5000);

    expect(line.split(' ').slice(0, 2)).toEqual(server.hostKeyLine.split(' ').slice(0, 2));
    expect(await eventually(() => server.openConnections() === 0, 2000)).toBe(true);
    await expect(shell().scanHostKey('127.0.0.1', 1, 2000)).rejects.toMatchObject({ code: 'provider' });
  });

  it('runs a command once the slow handshake is done, then closes the connection', async () => {
    const result = await shell().exec(target(), 'echo hi', { timeoutInMs: 5000 });

    expect(result).toEqual({ stdout: 'hi\n', stderr: '', exitCode: 0 });
    expect(await eventually(() => server.openConnections() === 0, 2000)).toBe(true);
  });

  it('closes a connection whose handshake finishes after the caller aborted', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);

    const run = shell().exec(target(), 'echo late', { timeoutInMs: 5000, abortSignal: controller.signal });

    await expect(run).rejects.toMatchObject({ code: 'timeout' });
    await new Promise((resolve) => setTimeout(resolve, HANDSHAKE_DELAY_IN_MS + 200));
    expect(await eventually(() => server.openConnections() === 0, 2000)).toBe(true);
  });

  it('closes a connection whose handshake outlasts the timeout', async () => {
    const run = shell().exec(target(), 'echo late', { timeoutInMs: HANDSHAKE_DELAY_IN_MS - 5 });

    await expect(run).rejects.toMatchObject({ code: 'timeout' });
    await new Promise((resolve) => setTimeout(resolve, HANDSHAKE_DELAY_IN_MS + 200));
    expect(await eventually(() => server.openConnections() === 0, 2000)).toBe(true);
  });

  it('closes a connection whose command outlasts the timeout', async () => {
    const run = shell().exec(target(), 'sleep 60', { timeoutInMs: HANDSHAKE_DELAY_IN_MS + 300 });

    await expect(run).rejects.toMatchObject({ code: 'timeout' });
    expect(await eventually(() => server.openConnections() === 0, 2000)).toBe(true);
  });

  it('stops following a log when aborted during the handshake, and closes the connection', async () => {
    const runner = new Ssh2JobRunner(bot.privateKey, knownHostKeys, shell());
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);

    const follow = runner.follow(
      target(),
      { remoteDir: '/nowhere', pid: 4242, fromByte: 0 },
      () => undefined,
      controller.signal,
    );

    await expect(follow).rejects.toMatchObject({ code: 'timeout' });
    await new Promise((resolve) => setTimeout(resolve, HANDSHAKE_DELAY_IN_MS + 200));
    expect(await eventually(() => server.openConnections() === 0, 2000)).toBe(true);
  });

  it('refuses a node whose host key is not the one expected, naming it, and closes the connection', async () => {
    const otherKey = bot.publicKey;
    const pinned = new Ssh2Shell(bot.privateKey, () => [otherKey]);

    const run = pinned.exec(target(), 'echo hi', { timeoutInMs: 5000 });

    await expect(run).rejects.toMatchObject({
      code: 'provider',
      message: 'host key mismatch',
      fields: { host: '127.0.0.1', port: server.port },
    });
    expect(await eventually(() => server.openConnections() === 0, 2000)).toBe(true);
  });

  it('refuses an address the lookup does not know', async () => {
    const pinned = new Ssh2Shell(bot.privateKey, () => null);

    const run = pinned.exec(target(), 'echo hi', { timeoutInMs: 5000 });

    await expect(run).rejects.toMatchObject({
      code: 'provider',
      message: expect.stringMatching(/^host key unknown/),
    });
    expect(await eventually(() => server.openConnections() === 0, 2000)).toBe(true);
  });
});
