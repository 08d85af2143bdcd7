import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BotProcess } from './support/bot-process.ts';
import {
  SUPPORT_DIR,
  listeningPorts,
  makeTempDir,
  makeUserKey,
  pidsWithCommandLine,
  pidsWithEnvironmentContaining,
  sshArgs,
  testBasePort,
} from './support/local-fixtures.ts';

const SSH_LINE = /^ {4}ssh -i <your key> -p (\d+) (\S+)@127\.0\.0\.1 +# (\S+)$/gm;

function sshLinesIn(text: string): { port: number; userAtHost: string; node: string }[] {
  return [...text.matchAll(SSH_LINE)].map((match) => ({
    port: Number(match[1]),
    userAtHost: `${match[2]}@127.0.0.1`,
    node: match[3] ?? '',
  }));
}

describe('console bot: the /mpi cluster lifecycle on this machine', () => {
  it('up, status, down from piped input: ssh lines, machinefile, status, gone, nothing left behind', async () => {
    const dataDir = makeTempDir('mpibox-e2e-pipe');
    const bot = new BotProcess({ MPIBOX_DATA_DIR: dataDir, MPIBOX_LOCAL_BASE_PORT: String(testBasePort(2)) });
    bot.send('/mpi up 2 demo');
    bot.send('/mpi status demo');
    bot.send('/mpi down demo --yes');

    const code = await bot.end();

    expect(code, bot.stderr).toBe(0);
    const out = bot.stdout;
    const ready = out.indexOf('Cluster demo is ready: 2 nodes');
    const status = out.indexOf('> /mpi status demo');
    const deleted = out.indexOf('Cluster demo is deleted');
    expect(ready).toBeGreaterThan(0);
    expect(status).toBeGreaterThan(0);
    expect(deleted).toBeGreaterThan(status);
    const readyCard = out.slice(ready, out.indexOf('\n\n', ready));
    expect(sshLinesIn(readyCard).map((line) => line.node)).toEqual(['demo-0', 'demo-1']);
    expect(readyCard).toMatch(/^ {4}demo-0 slots=1\n {4}demo-1 slots=1$/m);
    expect(out.slice(status)).toMatch(/State: ready \| Nodes: 2 × local/);
    expect(pidsWithCommandLine(dataDir)).toEqual([]);
    expect(pidsWithEnvironmentContaining(dataDir)).toEqual([]);
    for (const line of sshLinesIn(readyCard)) expect(listeningPorts().has(line.port)).toBe(false);
  });

  it('the posted ssh lines work with a registered key, MPI spans every node, and a SIGKILLed bot comes back to the same cluster', async () => {
    const dataDir = makeTempDir('mpibox-e2e-live');
    const env = { MPIBOX_DATA_DIR: dataDir, MPIBOX_LOCAL_BASE_PORT: String(testBasePort(3)) };
    const key = makeUserKey(dataDir, 'user_key');
    const first = new BotProcess(env);
    first.send('/mpi up 3 demo');
    await first.waitFor(/Cluster demo is ready: 3 nodes[\s\S]*?\n\n/);
    const lines = sshLinesIn(first.stdout);
    expect(lines.map((line) => line.node)).toEqual(['demo-0', 'demo-1', 'demo-2']);
    const machinefile = first.stdout.match(/Machinefile `([^`]+)`/)?.[1] ?? '';
    const ssh = (port: number, command: string) =>
      execFileSync('ssh', sshArgs(key.privatePath, port, lines[0]?.userAtHost ?? '', command), {
        encoding: 'utf8',
        timeout: 60_000,
      });
    first.send(`/mpi key add ${key.publicLine}`);
    await first.waitFor(/Added ssh-ed25519 key `SHA256:/);

    for (const line of lines) expect(ssh(line.port, 'printf %s "$MPIBOX_NODE"')).toBe(line.node);
    fs.copyFileSync(
      path.join(SUPPORT_DIR, 'mpi-hello.c'),
      path.join(path.dirname(machinefile), 'shared', 'hello.c'),
    );
    const mpi = ssh(
      lines[0]?.port ?? 0,
      `mpicc -o shared/hello shared/hello.c && mpiexec -machinefile ${machinefile} ./shared/hello`,
    );
    expect(mpi.trim().split('\n').sort()).toEqual([
      'rank 0 of 3 on demo-0 sum 3',
      'rank 1 of 3 on demo-1 sum 3',
      'rank 2 of 3 on demo-2 sum 3',
    ]);

    first.child.kill('SIGKILL');
    await first.exited;
    const second = new BotProcess(env);
    second.send('/mpi list');
    second.send('/mpi status demo');
    await second.waitFor(/> \/mpi status demo[\s\S]*State: ready/);

    expect(second.stdout.match(/^ {4}demo {2}ready {2}3 × local/gm)).toHaveLength(1);
    for (const line of lines) expect(ssh(line.port, 'printf %s "$MPIBOX_NODE"')).toBe(line.node);
    expect(sshLinesIn(second.stdout.slice(second.stdout.indexOf('> /mpi status demo')))).toEqual(lines);

    second.send('/mpi down demo --yes');
    expect(await second.end(), second.stderr).toBe(0);
    expect(second.stdout).toMatch(/Cluster demo is deleted/);
    expect(pidsWithEnvironmentContaining(dataDir)).toEqual([]);
    expect(pidsWithCommandLine(dataDir)).toEqual([]);
    for (const line of lines) expect(listeningPorts().has(line.port)).toBe(false);
  });

  it('a bot killed with SIGKILL in the middle of creating finishes the same cluster on restart, with no duplicate nodes', async () => {
    const dataDir = makeTempDir('mpibox-e2e-crash');
    const env = { MPIBOX_DATA_DIR: dataDir, MPIBOX_LOCAL_BASE_PORT: String(testBasePort(4)) };
    const first = new BotProcess(env);
    first.send('/mpi up 2 demo');
    await first.waitFor(/Cluster demo: creating 2 nodes/);
    first.child.kill('SIGKILL');
    await first.exited;

    const second = new BotProcess(env);
    second.send('/mpi status demo');
    second.send('/mpi list');
    await second.waitFor(/> \/mpi list[\s\S]*Clusters in this channel \(1\)/);
    const listeners = pidsWithCommandLine(path.join(dataDir, 'clusters')).filter((pid) =>
      fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('sshd_config'),
    );
    second.send('/mpi down demo --yes');

    expect(await second.end(), second.stderr).toBe(0);
    expect(second.stdout).toMatch(/State: ready \| Nodes: 2 × local/);
    expect(
      sshLinesIn(second.stdout)
        .map((line) => line.node)
        .slice(0, 2),
    ).toEqual(['demo-0', 'demo-1']);
    expect(listeners).toHaveLength(2);
    expect(pidsWithCommandLine(dataDir)).toEqual([]);
  });
});
