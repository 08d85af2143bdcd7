import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateBotKey } from '../src/adapters/ssh/bot-key.ts';
import { Ssh2Shell } from '../src/adapters/ssh/ssh2-shell.ts';
import { JsonLogger } from '../src/adapters/system/json-logger.ts';
import { SystemClock } from '../src/adapters/system/system-clock.ts';
import type { ClusterInfo } from '../src/ports/cloud-provider.ts';
import { LocalProvider } from '../src/providers/local/local-provider.ts';
import { makeTempDir, makeUserKey, sshArgs, testBasePort } from './support/local-fixtures.ts';

/**
 * What the reaper sees on real local nodes: a user's interactive SSH session (a terminal) counts,
 * a command over SSH without one (as the bot runs them) does not, and a job's CPU time is found
 * by its MPIBOX_JOB_ID on any node.
 */
describe('LocalProvider.activity on real sshd nodes', () => {
  const dir = makeTempDir('mpibox-activity');
  const bot = loadOrCreateBotKey(dir);
  const user = os.userInfo().username;
  const userKey = makeUserKey(dir);
  const provider: LocalProvider = new LocalProvider({
    root: path.join(dir, 'clusters'),
    basePort: testBasePort(6),
    slotsPerNode: 1,
    user: { name: user, isRoot: process.getuid?.() === 0 },
    botPublicKey: bot.publicKey,
    shell: new Ssh2Shell(bot.privateKey, (host, port) => provider.knownHostKeys(host, port)),
    clock: new SystemClock(),
    logger: new JsonLogger('error'),
  });
  const clusterId = 'watch-abc123';
  let info: ClusterInfo;
  const children: ChildProcess[] = [];
  const ssh = (port: number, command: string, terminal: boolean) => {
    const args = sshArgs(userKey.privatePath, port, `${user}@127.0.0.1`, command);
    const child = spawn('ssh', terminal ? ['-tt', ...args] : args, { stdio: ['pipe', 'ignore', 'ignore'] });
    children.push(child);
    return child;
  };
  const until = async (check: () => Promise<boolean>, what: string) => {
    for (const deadline = Date.now() + 20_000; !(await check());) {
      if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  beforeAll(async () => {
    await provider.create({
      clusterId,
      name: 'watch',
      nodeCount: 2,
      size: 'local',
      spot: false,
      authorizedKeys: [userKey.publicLine],
      labels: { channelId: 'C1', ownerId: 'U1' },
    });
    info = await provider.waitReady(clusterId, 30_000);
  }, 60_000);

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await provider.terminate(clusterId);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(
    'counts a user’s terminal session, not a command without a terminal, and forgets it when it ends',
    { timeout: 60_000 },
    async () => {
      const quiet = await provider.activity(clusterId, []);
      const command = ssh(info.nodes[0]!.port, 'sleep 30', false);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const withCommand = await provider.activity(clusterId, []);

      const session = ssh(info.nodes[1]!.port, 'sleep 30', true);
      await until(async () => (await provider.activity(clusterId, [])).sessions.length > 0, 'session seen');
      const withSession = await provider.activity(clusterId, []);
      session.kill('SIGKILL');
      command.kill('SIGKILL');
      await until(async () => (await provider.activity(clusterId, [])).sessions.length === 0, 'session gone');

      expect(quiet.sessions).toEqual([]);
      expect(withCommand.sessions).toEqual([]);
      expect(withSession.sessions).toEqual([expect.objectContaining({ user, node: 'watch-1' })]);
    },
  );

  it('sums the CPU time of a job’s processes and of nothing else', { timeout: 60_000 }, async () => {
    const burn = 'i=0; while [ $i -lt 3000000 ]; do i=$((i+1)); done; sleep 30';
    ssh(info.nodes[1]!.port, `MPIBOX_JOB_ID=7 sh -c '${burn}'`, false);
    ssh(info.nodes[0]!.port, `MPIBOX_JOB_ID=8 sh -c 'sleep 30'`, false);

    await until(
      async () => ((await provider.activity(clusterId, [7, 8])).jobCpuTicks.get(7) ?? 0) > 50,
      'job 7 used CPU',
    );
    const seen = await provider.activity(clusterId, [7, 8, 9]);

    expect(seen.jobCpuTicks.get(7)).toBeGreaterThan(50);
    expect(seen.jobCpuTicks.get(8) ?? 0).toBeLessThan(5);
    expect(seen.jobCpuTicks.has(9)).toBe(false);
  });
});
