import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateBotKey } from '../src/adapters/ssh/bot-key.ts';
import { Ssh2Shell } from '../src/adapters/ssh/ssh2-shell.ts';
import { JsonLogger } from '../src/adapters/system/json-logger.ts';
import { SystemClock } from '../src/adapters/system/system-clock.ts';
import { MpiboxError } from '../src/domain/errors.ts';
import type { ClusterInfo } from '../src/ports/cloud-provider.ts';
import { LocalProvider } from '../src/providers/local/local-provider.ts';
import { makeTempDir, testBasePort } from './support/local-fixtures.ts';
import { explain } from '../src/services/explain.ts';
import { MpiReadyCheck } from '../src/services/ready-check.ts';

const SOURCE = fs.readFileSync(new URL('../scripts/mpi-check/mpibox-check.c', import.meta.url), 'utf8');

/** The real check program, built and run with real Open MPI across real local nodes. */
describe('MpiReadyCheck on local nodes', () => {
  const dir = makeTempDir('mpibox-ready-check');
  const bot = loadOrCreateBotKey(dir);
  const shell = new Ssh2Shell(bot.privateKey, (host, port) => provider.knownHostKeys(host, port));
  const provider: LocalProvider = new LocalProvider({
    root: path.join(dir, 'clusters'),
    basePort: testBasePort(5),
    slotsPerNode: 2,
    user: { name: os.userInfo().username, isRoot: process.getuid?.() === 0 },
    botPublicKey: bot.publicKey,
    shell,
    clock: new SystemClock(),
    logger: new JsonLogger('error'),
  });
  const input = {
    clusterId: 'check-abc123',
    name: 'check',
    nodeCount: 3,
    size: 'local',
    spot: false,
    authorizedKeys: [],
    labels: { channelId: 'C1', ownerId: 'U1' },
  };
  let info: ClusterInfo;
  const check = (source = SOURCE, timeoutInMs = 60_000) =>
    new MpiReadyCheck({ shell, launcher: provider.launcher, source, timeoutInMs });
  const failure = async (promise: Promise<unknown>): Promise<MpiboxError> => {
    const error = await promise.then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(MpiboxError);
    return error as MpiboxError;
  };

  beforeAll(async () => {
    await provider.create(input);
    info = await provider.waitReady(input.clusterId, 30_000);
  }, 60_000);

  afterAll(async () => {
    await provider.terminate(input.clusterId);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('passes on a healthy cluster: every rank of every node, with latency and bandwidth', async () => {
    const line = await check().run(info);

    expect(line).toMatch(
      /^MPI check passed: 6 ranks on 3 nodes \(allreduce and ring\); node 0 to the others: latency [\d.]+ µs at worst, bandwidth [\d.]+ [GM]B\/s at least\.$/,
    );
  }, 60_000);

  it('names node 0 when the program cannot be built there', async () => {
    const error = await failure(check('this is not C\n').run(info));

    expect(error.fields).toMatchObject({ check: true, node: `check-0 (${info.nodes[0]!.privateAddress})` });
    expect(explain(error)).toMatch(
      /^The MPI check across the nodes failed on node check-0 \(check-0\): could not build the MPI check program: .*error/,
    );
  }, 60_000);

  it('names the node whose data came wrong, from the program’s own report', async () => {
    // Rank 2 (the first on node 1) sends a corrupted ring message: its neighbour says so.
    const corrupt = SOURCE.replace(
      'for (int i = 0; i < RING_WORDS; i++) out[i] = rank * 1e6 + i;',
      'for (int i = 0; i < RING_WORDS; i++) out[i] = rank * 1e6 + i + (rank == 2 && i == 7);',
    );
    expect(corrupt).not.toBe(SOURCE);

    const error = await failure(check(corrupt).run(info));

    expect(error.fields).toMatchObject({ node: 'check-1 (check-1)' });
    expect(error.fields.reason).toBe('ring data from rank 2 was wrong');
  }, 60_000);

  it('names a node that stopped answering, found by probing from node 0', async () => {
    execFileSync('pkill', ['-KILL', '-f', path.join(input.clusterId, 'nodes', 'check-2', 'sshd_config')]);

    const error = await failure(check(SOURCE, 20_000).run(info));

    expect(error.fields).toMatchObject({ node: 'check-2 (check-2)' });
    expect(explain(error)).toMatch(
      /failed on node check-2 \(check-2\): node 0 cannot reach it over SSH: .*refused/,
    );
  }, 90_000);
});
