import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateBotKey } from '../../adapters/ssh/bot-key.ts';
import { Ssh2Shell } from '../../adapters/ssh/ssh2-shell.ts';
import { JsonLogger } from '../../adapters/system/json-logger.ts';
import { SystemClock } from '../../adapters/system/system-clock.ts';
import type { KnownHostKeys } from '../../ports/shell.ts';
import { makeTempDir, testBasePort } from '../../../test/support/local-fixtures.ts';
import { clusterLayout } from './layout.ts';
import { LocalProvider } from './local-provider.ts';

describe('LocalProvider host keys pinned by Ssh2Shell', () => {
  const dir = makeTempDir('mpibox-host-keys');
  const root = path.join(dir, 'clusters');
  const bot = loadOrCreateBotKey(dir);
  const user = { name: os.userInfo().username, isRoot: process.getuid?.() === 0 };
  const knownHostKeys: KnownHostKeys = (host, port) => provider.knownHostKeys(host, port);
  const shell = new Ssh2Shell(bot.privateKey, knownHostKeys);
  const provider = new LocalProvider({
    root,
    basePort: testBasePort(13),
    slotsPerNode: 1,
    user,
    botPublicKey: bot.publicKey,
    shell,
    clock: new SystemClock(),
    logger: new JsonLogger('error'),
  });
  const input = {
    clusterId: 'pin-abc123',
    name: 'pin',
    nodeCount: 1,
    size: 'local',
    spot: false,
    authorizedKeys: [],
    labels: { channelId: 'C1', ownerId: 'U1' },
  };
  const hostKeyFile = clusterLayout(root, input.clusterId).node('pin-0').hostKey;
  const readHostKeyLine = () => fs.readFileSync(`${hostKeyFile}.pub`, 'utf8').trim();
  const node0 = async () => {
    const info = await provider.waitReady(input.clusterId, 30_000);
    return { host: info.nodes[0]?.host ?? '', port: info.nodes[0]?.port ?? 0, user: info.user };
  };

  beforeAll(async () => {
    await provider.create(input);
  });

  afterAll(async () => {
    await provider.terminate(input.clusterId);
  });

  it('connects to a node presenting the key the provider made for it', async () => {
    const target = await node0();

    const result = await shell.exec(target, 'printf %s "$MPIBOX_NODE"', { timeoutInMs: 10_000 });

    expect(provider.knownHostKeys(target.host, target.port)).toEqual([readHostKeyLine()]);
    expect(result.stdout).toBe('pin-0');
  });

  it('refuses a node whose key is not the expected one, naming host and port', async () => {
    const target = await node0();
    const otherKey = fs.readFileSync(`${clusterLayout(root, input.clusterId).internalKey}.pub`, 'utf8');
    const pinnedElsewhere = new Ssh2Shell(bot.privateKey, () => [otherKey]);

    const run = pinnedElsewhere.exec(target, 'true', { timeoutInMs: 10_000 });

    await expect(run).rejects.toMatchObject({
      code: 'provider',
      message: 'host key mismatch',
      fields: { host: target.host, port: target.port },
    });
  });

  it('knows no key for an address that is no node of its clusters', async () => {
    const target = await node0();

    const otherPort = provider.knownHostKeys(target.host, target.port + 1);
    const otherHost = provider.knownHostKeys('localhost', target.port);

    expect(otherPort).toBeNull();
    expect(otherHost).toBeNull();
  });

  it('follows a node recreated with a new key on the same port, and refuses the old key', async () => {
    const before = await node0();
    const oldKey = readHostKeyLine();
    await shell.exec(before, 'true', { timeoutInMs: 10_000 }); // the old key is now cached

    await provider.deallocate(input.clusterId);
    fs.rmSync(hostKeyFile);
    fs.rmSync(`${hostKeyFile}.pub`);
    await provider.recover(input.clusterId);
    const after = await node0();
    const result = await shell.exec(after, 'printf %s "$MPIBOX_NODE"', { timeoutInMs: 10_000 });
    const pinnedToOld = new Ssh2Shell(bot.privateKey, () => [oldKey]);

    expect(after.port).toBe(before.port);
    expect(readHostKeyLine()).not.toBe(oldKey);
    expect(result.stdout).toBe('pin-0');
    await expect(pinnedToOld.exec(after, 'true', { timeoutInMs: 10_000 })).rejects.toMatchObject({
      message: 'host key mismatch',
    });
  });
});
