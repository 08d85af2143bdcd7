import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateBotKey } from '../../adapters/ssh/bot-key.ts';
import { Ssh2Shell } from '../../adapters/ssh/ssh2-shell.ts';
import { JsonLogger } from '../../adapters/system/json-logger.ts';
import { SystemClock } from '../../adapters/system/system-clock.ts';
import {
  SUPPORT_DIR,
  listeningPorts,
  makeTempDir,
  makeUserKey,
  pidsWithEnv,
  sshArgs,
  testBasePort,
} from '../../../test/support/local-fixtures.ts';
import { LocalProvider } from './local-provider.ts';

describe('LocalProvider', () => {
  const dir = makeTempDir('mpibox-local-provider');
  const bot = loadOrCreateBotKey(dir);
  const user = { name: os.userInfo().username, isRoot: process.getuid?.() === 0 };
  const basePort = testBasePort(1);
  const provider: LocalProvider = new LocalProvider({
    root: path.join(dir, 'clusters'),
    basePort,
    slotsPerNode: 1,
    user,
    botPublicKey: bot.publicKey,
    shell: new Ssh2Shell(bot.privateKey, (host, port) => provider.knownHostKeys(host, port)),
    clock: new SystemClock(),
    logger: new JsonLogger('error'),
  });
  const userKey = makeUserKey(dir);
  const input = {
    clusterId: 'demo-abc123',
    name: 'demo',
    nodeCount: 2,
    size: 'local',
    spot: false,
    authorizedKeys: [],
    labels: { channelId: 'C1', ownerId: 'U1' },
  };
  const ssh = (port: number, command: string) =>
    execFileSync('ssh', sshArgs(userKey.privatePath, port, `${user.name}@127.0.0.1`, command), {
      encoding: 'utf8',
      timeout: 30_000,
    });

  beforeAll(async () => {
    await provider.create(input);
    await provider.create(input); // idempotent: still one cluster
  });

  afterAll(async () => {
    await provider.terminate(input.clusterId);
  });

  it('gives each node its own port from the base and a machinefile with every node', async () => {
    const info = await provider.waitReady(input.clusterId, 30_000);

    expect(info.nodes.map((node) => node.name)).toEqual(['demo-0', 'demo-1']);
    expect(new Set(info.nodes.map((node) => node.port)).size).toBe(2);
    expect(Math.min(...info.nodes.map((node) => node.port))).toBeGreaterThanOrEqual(basePort);
    expect(fs.readFileSync(info.machinefilePath, 'utf8')).toBe('demo-0 slots=1\ndemo-1 slots=1\n');
  });

  it('refuses a user key until it is authorized, then runs commands in the work folder', async () => {
    const info = await provider.waitReady(input.clusterId, 30_000);
    const port = info.nodes[1]?.port ?? 0;

    expect(() => ssh(port, 'true')).toThrow();
    await provider.authorizeKeys(input.clusterId, [userKey.publicLine]);
    const output = ssh(port, 'echo "$MPIBOX_NODE $(pwd)"');

    expect(output.trim()).toBe(`demo-1 ${info.workDir}`);
  });

  it('runs a real MPI program across both nodes from node 0', async () => {
    const info = await provider.waitReady(input.clusterId, 30_000);
    fs.copyFileSync(path.join(SUPPORT_DIR, 'mpi-hello.c'), path.join(info.sharedDir, 'hello.c'));
    const port = info.nodes[0]?.port ?? 0;

    const output = ssh(
      port,
      `mpicc -o shared/hello shared/hello.c && mpiexec -machinefile ${info.machinefilePath} ./shared/hello`,
    );

    const lines = output.trim().split('\n').sort();
    expect(lines).toEqual(['rank 0 of 2 on demo-0 sum 1', 'rank 1 of 2 on demo-1 sum 1']);
  });

  it('makes each node look like a machine of its own: its name as host name, its own temp folder', async () => {
    const info = await provider.waitReady(input.clusterId, 30_000);
    await provider.authorizeKeys(input.clusterId, [userKey.publicLine]);
    const isolation = await provider.isolation();

    const seen = info.nodes.map((node) => ssh(node.port, 'echo "$(uname -n) $TMPDIR"').trim().split(' '));

    // Root (as in CI) or unprivileged user namespaces: each node is its own UTS namespace.
    if (process.getuid?.() === 0) expect(isolation).toBe('uts');
    if (isolation !== 'none') expect(seen.map(([host]) => host)).toEqual(['demo-0', 'demo-1']);
    expect(new Set(seen.map(([, tmp]) => tmp)).size).toBe(2);
    for (const [, tmp] of seen) expect(fs.statSync(tmp ?? '').isDirectory()).toBe(true);
  });

  it('grows and shrinks, rewriting the machinefile and stopping removed nodes', async () => {
    await provider.resize(input.clusterId, 3);
    const grown = await provider.waitReady(input.clusterId, 30_000);
    const third = grown.nodes[2]?.port ?? 0;

    await provider.resize(input.clusterId, 2);
    const shrunk = await provider.info(input.clusterId);

    expect(grown.machinefile).toBe('demo-0 slots=1\ndemo-1 slots=1\ndemo-2 slots=1\n');
    expect(shrunk?.machinefile).toBe('demo-0 slots=1\ndemo-1 slots=1\n');
    expect(listeningPorts().has(third)).toBe(false);
  });

  it('brings a killed node back on recover', async () => {
    const before = await provider.info(input.clusterId);
    execFileSync('pkill', ['-KILL', '-f', path.join(input.clusterId, 'nodes', 'demo-1', 'sshd_config')]);
    let down = await provider.query(input.clusterId);
    for (
      let round = 0;
      round < 100 && down.find((node) => node.name === 'demo-1')?.state !== 'deallocated';
      round += 1
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50)); // SIGKILL lands asynchronously
      down = await provider.query(input.clusterId);
    }

    await provider.recover(input.clusterId);
    const after = await provider.waitReady(input.clusterId, 30_000);

    expect(down.find((node) => node.name === 'demo-1')?.state).toBe('deallocated');
    expect(after.nodes.map((node) => node.port)).toEqual(before?.nodes.map((node) => node.port));
  });

  it('terminates everything, including detached work, and frees the ports', async () => {
    const other = { ...input, clusterId: 'gone-def456', name: 'gone' };
    await provider.create(other);
    const info = await provider.waitReady(other.clusterId, 30_000);
    await provider.authorizeKeys(other.clusterId, [userKey.publicLine]);
    ssh(info.nodes[1]?.port ?? 0, 'setsid sleep 300 </dev/null >/dev/null 2>&1 &');
    expect(pidsWithEnv(`MPIBOX_CLUSTER_ID=${other.clusterId}`).length).toBeGreaterThan(0);

    await provider.terminate(other.clusterId);
    await provider.terminate(other.clusterId); // already gone: still fine

    expect(pidsWithEnv(`MPIBOX_CLUSTER_ID=${other.clusterId}`)).toEqual([]);
    for (const node of info.nodes) expect(listeningPorts().has(node.port)).toBe(false);
    expect(await provider.info(other.clusterId)).toBeNull();
  });

  it('refuses spot capacity with a named error', async () => {
    await expect(provider.create({ ...input, clusterId: 'spot-1', spot: true })).rejects.toMatchObject({
      code: 'unsupported',
    });
  });
});

describe('LocalProvider where nodes cannot have host names of their own', () => {
  it('still runs several ranks per node correctly (shared memory off, TCP between all ranks)', async () => {
    const dir = makeTempDir('mpibox-local-none');
    const bot = loadOrCreateBotKey(dir);
    const user = { name: os.userInfo().username, isRoot: process.getuid?.() === 0 };
    const provider: LocalProvider = new LocalProvider({
      root: path.join(dir, 'clusters'),
      basePort: testBasePort(14),
      slotsPerNode: 2,
      user,
      botPublicKey: bot.publicKey,
      shell: new Ssh2Shell(bot.privateKey, (host, port) => provider.knownHostKeys(host, port)),
      clock: new SystemClock(),
      logger: new JsonLogger('error'),
      isolation: 'none',
    });
    const userKey = makeUserKey(dir);
    const input = {
      clusterId: 'flat-abc123',
      name: 'flat',
      nodeCount: 2,
      size: 'local',
      spot: false,
      authorizedKeys: [userKey.publicLine],
      labels: { channelId: 'C1', ownerId: 'U1' },
    };
    await provider.create(input);
    try {
      const info = await provider.waitReady(input.clusterId, 30_000);
      fs.copyFileSync(path.join(SUPPORT_DIR, 'mpi-ring.c'), path.join(info.sharedDir, 'ring.c'));

      const output = execFileSync(
        'ssh',
        sshArgs(
          userKey.privatePath,
          info.nodes[0]?.port ?? 0,
          `${user.name}@127.0.0.1`,
          `mpicc -o shared/ring shared/ring.c && mpiexec -machinefile ${info.machinefilePath} -n 4 ./shared/ring`,
        ),
        { encoding: 'utf8', timeout: 60_000 },
      );

      const lines = output.split('\n').filter((line) => line.startsWith('rank '));
      expect(lines).toHaveLength(4);
      for (const line of lines) expect(line).toMatch(/allreduce ok ring ok$/);
    } finally {
      await provider.terminate(input.clusterId);
    }
  }, 90_000);
});
