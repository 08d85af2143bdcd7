import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BotProcess } from './support/bot-process.ts';
import {
  SUPPORT_DIR,
  makeTempDir,
  pidsWithCommandLine,
  pidsWithEnv,
  testBasePort,
} from './support/local-fixtures.ts';

const COUNT_LINES = 40;
/** A job that prints a numbered line every 100 ms. */
const COUNTER = `sh -c 'i=1; while [ $i -le ${COUNT_LINES} ]; do echo "line $i"; i=$((i+1)); sleep 0.1; done'`;
const EXPECTED_COUNT = Array.from({ length: COUNT_LINES }, (_, index) => `line ${index + 1}`);

const bots: BotProcess[] = [];
afterEach(async () => {
  for (const bot of bots.splice(0)) {
    if (bot.child.exitCode === null) bot.child.kill('SIGKILL');
  }
});

/** A bot with a ready two-node cluster `demo` and the test MPI program built on it. */
async function botWithCluster(name: string, offset: number) {
  const dataDir = makeTempDir(`mpibox-e2e-${name}`);
  const env = {
    MPIBOX_DATA_DIR: dataDir,
    MPIBOX_LOCAL_BASE_PORT: String(testBasePort(offset)),
    MPIBOX_CHAT_INTERVAL_MS: '200',
  };
  const bot = new BotProcess(env);
  bots.push(bot);
  bot.send('/mpi up 2 demo');
  await bot.waitFor(/Cluster demo is ready/);
  const workDir = path.dirname(bot.stdout.match(/Machinefile `([^`]+)`/)?.[1] ?? '');
  fs.copyFileSync(path.join(SUPPORT_DIR, 'mpi-hello.c'), path.join(workDir, 'shared', 'hello.c'));
  return { bot, env, dataDir, workDir };
}

function logCopy(dataDir: string, jobId: number): string {
  return fs.readFileSync(path.join(dataDir, 'logs', `job-${jobId}.log`), 'utf8');
}

/** A restarted bot follows job #1 to its end; returns the log on the node, after `down`. */
async function restartUntilJobOneEnds(env: Record<string, string>, workDir: string): Promise<string> {
  const second = new BotProcess(env);
  bots.push(second);
  await second.waitFor(/job #1 on demo: succeeded/, 60_000);
  const onNode = nodeLog(workDir, 1);
  second.send('/mpi down demo --yes');
  await second.end();
  return onNode;
}

/** The environment entry of job `jobId`'s processes on this cluster (job ids repeat across clusters). */
function jobMarker(workDir: string, jobId: number): string {
  return `MPIBOX_JOB_DIR=${path.join(workDir, 'shared', '.mpibox', 'jobs', String(jobId))}`;
}

/** The log as the job wrote it on the node (shared folder). */
function nodeLog(workDir: string, jobId: number): string {
  return fs.readFileSync(path.join(workDir, 'shared', '.mpibox', 'jobs', String(jobId), 'log'), 'utf8');
}

/** The counter's own lines (Open MPI may add warnings of its own to the log). */
function counterLines(log: string): string[] {
  return log.split('\n').filter((line) => line.startsWith('line '));
}

describe('jobs on a local cluster', () => {
  it('streams every rank of a real MPI program into the thread and records exit codes', async () => {
    const { bot, dataDir } = await botWithCluster('mpi', 5);

    bot.send('/mpi run -n 1 -- mpicc -o shared/hello shared/hello.c');
    await bot.waitFor(/job #1 on demo: succeeded/, 60_000);
    bot.send('/mpi run -- ./shared/hello');
    await bot.waitFor(/job #2 on demo: succeeded/, 60_000);
    bot.send(`/mpi run -n 1 -- sh -c 'echo about to fail; exit 7'`);
    await bot.waitFor(/job #3 on demo: failed \(exit code 7\)/, 60_000);
    bot.send('/mpi down demo --yes');
    await bot.end();

    // Under load Open MPI may add a harmless launcher warning of its own; the ranks' lines are what count.
    const rankLines = logCopy(dataDir, 2)
      .split('\n')
      .filter((line) => line.startsWith('rank '));
    expect(rankLines.sort()).toEqual(['rank 0 of 2 on demo-0 sum 1', 'rank 1 of 2 on demo-1 sum 1']);
    expect(bot.stdout).toMatch(/thread of message \d+, message \d+\]\n {4}rank \d of 2 on demo-\d sum 1/);
    expect(bot.stdout).toMatch(/file job-2\.log \(Complete log of job #2, 56 bytes\)/);
    expect(bot.stdout).toMatch(/State: failed \| Ranks: 1 \| By: @tester \| Elapsed: \d+ s \| Exit code: 7/);
    expect(logCopy(dataDir, 3)).toMatch(/^about to fail\n/);
  });

  it('survives kill -9 of the bot mid-job: the job keeps running and the log has every line once, in order', async () => {
    const { bot, env, dataDir, workDir } = await botWithCluster('kill', 6);

    bot.send(`/mpi run -n 1 -- ${COUNTER}`);
    await bot.waitFor(/ {4}line 8\n/, 30_000);
    bot.child.kill('SIGKILL');
    await bot.exited;
    const stillRunning = pidsWithEnv(jobMarker(workDir, 1)).length;
    await new Promise((resolve) => setTimeout(resolve, 700));
    const onNode = await restartUntilJobOneEnds(env, workDir);

    expect(stillRunning).toBeGreaterThan(0);
    expect(logCopy(dataDir, 1)).toBe(onNode);
    expect(counterLines(logCopy(dataDir, 1))).toEqual(EXPECTED_COUNT);
  });

  it('stops on SIGTERM mid-job within 10 s with exit 0; the job runs on, and the next start follows it to the end', async () => {
    const { bot, env, dataDir, workDir } = await botWithCluster('term', 18);
    const slowCounter = COUNTER.replace('sleep 0.1', 'sleep 0.2');

    bot.send(`/mpi run -n 1 -- ${slowCounter}`);
    await bot.waitFor(/ {4}line 5\n/, 30_000);
    const signalledAt = Date.now();
    bot.child.kill('SIGTERM');
    const code = await bot.exited;
    const stopTookMs = Date.now() - signalledAt;
    const stillRunning = pidsWithEnv(jobMarker(workDir, 1)).length;
    const onNode = await restartUntilJobOneEnds(env, workDir);

    expect(code).toBe(0);
    expect(stopTookMs).toBeLessThan(10_000);
    expect(stillRunning).toBeGreaterThan(0);
    expect(logCopy(dataDir, 1)).toBe(onNode);
    expect(counterLines(logCopy(dataDir, 1))).toEqual(EXPECTED_COUNT);
  });

  it('survives the node closing the log connection: every line once, in order', async () => {
    const { bot, dataDir, workDir } = await botWithCluster('drop', 7);

    bot.send(`/mpi run -n 1 -- ${COUNTER}`);
    await bot.waitFor(/ {4}line 5\n/, 30_000);
    const tails = pidsWithCommandLine('jobs/1/log').filter((pid) => commandOf(pid).startsWith('tail'));
    const sessions = tails.map((pid) => sshdAncestor(pid)).filter((pid): pid is number => pid !== null);
    for (const pid of sessions) process.kill(pid, 'SIGKILL');
    await bot.waitFor(/job #1 on demo: succeeded/, 60_000);
    const onNode = nodeLog(workDir, 1);
    bot.send('/mpi down demo --yes');
    await bot.end();

    expect(sessions.length).toBe(1);
    expect(bot.stderr).toMatch(/log connection lost; resuming/);
    expect(logCopy(dataDir, 1)).toBe(onNode);
    expect(counterLines(logCopy(dataDir, 1))).toEqual(EXPECTED_COUNT);
  });

  it('cancel leaves no process of the job on any node', async () => {
    const { bot, workDir } = await botWithCluster('cancel', 8);

    bot.send(`/mpi run -- sh -c 'echo started on $MPIBOX_NODE; sleep 300'`);
    await bot.waitFor(/started on demo-1/, 30_000);
    await bot.waitFor(/started on demo-0/, 30_000);
    const before = pidsWithEnv(jobMarker(workDir, 1));
    bot.send('/mpi cancel 1');
    await bot.waitFor(/job #1 on demo: cancelled/, 30_000);
    const after = pidsWithEnv(jobMarker(workDir, 1)).map(
      (pid) => `${pid} ${commandOf(pid)} ${fs.readFileSync(`/proc/${pid}/stat`, 'utf8')}`,
    );
    bot.send('/mpi down demo --yes');
    await bot.end();

    expect(before.length).toBeGreaterThanOrEqual(3); // mpiexec and a rank on each node
    expect(after, `${bot.stdout.slice(-3000)}\n${bot.stderr}`).toEqual([]);
    expect(bot.stdout).toMatch(/cancelled by <@tester>|cancelled by @tester/);
  });

  it('a bot killed while cancelling finishes the cancel after its restart', async () => {
    const { bot, env, workDir } = await botWithCluster('recancel', 14);
    // Ranks that ignore SIGTERM keep the cancel in its grace period long enough to kill the bot.
    bot.send(`/mpi run -- sh -c 'trap "" TERM; echo started on $MPIBOX_NODE; while :; do sleep 1; done'`);
    await bot.waitFor(/started on demo-1/, 30_000);
    await bot.waitFor(/started on demo-0/, 30_000);
    bot.send('/mpi cancel 1');
    await bot.waitFor(/job #1 on demo: cancelling…/, 30_000);
    bot.child.kill('SIGKILL');
    await bot.exited;

    const second = new BotProcess(env);
    bots.push(second);
    await second.waitFor(/job #1 on demo: cancelled ==/, 60_000);
    const left = pidsWithEnv(jobMarker(workDir, 1)).map((pid) => `${pid} ${commandOf(pid)}`);
    second.send('/mpi jobs');
    await second.waitFor(/#1 {2}cancelled/);
    second.send('/mpi down demo --yes');
    await second.end();

    expect(left, second.stderr).toEqual([]);
  });

  it('runs two jobs submitted at once one after the other, and says the second was queued', async () => {
    const { bot } = await botWithCluster('queue', 9);

    bot.send(`/mpi run -n 1 -- sh -c 'echo first; sleep 1'`);
    bot.send(`/mpi run -n 1 -- sh -c 'echo second'`);
    await bot.waitFor(/job #2 on demo: succeeded/, 60_000);
    bot.send('/mpi down demo --yes');
    await bot.end();

    const out = bot.stdout;
    expect(out).toMatch(/job #2 on demo: queued \(1 ahead\)/);
    expect(out).toMatch(/Job #2 on `demo` \(1 ranks\): queued behind 1 job\(s\)/);
    expect(out.indexOf('job #1 on demo: succeeded')).toBeLessThan(out.indexOf('job #2 on demo: running'));
  });

  it('refuses hostile input outside the command, and nothing extra runs on the node', async () => {
    const { bot, workDir } = await botWithCluster('hostile', 10);
    const canary = path.join(workDir, 'CANARY');
    const hostile = [
      `/mpi run demo -n '4; touch ${canary}' -- true`,
      `/mpi run demo -n 4;touch${canary} -- true`,
      `/mpi run $(touch ${canary}) -- true`,
      `/mpi run \`touch ${canary}\` -- true`,
      `/mpi run demo --ppn '1 && touch ${canary}' -- true`,
      `/mpi run demo --timeout '1m; touch ${canary}' -- true`,
      `/mpi logs '1; touch ${canary}'`,
      `/mpi cancel $(touch ${canary})`,
      `/mpi jobs demo;touch ${canary}`,
    ];

    for (const line of hostile) bot.send(line);
    bot.send('/mpi run -n 1 -- echo harmless');
    await bot.waitFor(/job #1 on demo: succeeded/, 60_000);
    bot.send('/mpi down demo --yes');
    await bot.end();

    expect(bot.stdout.match(/^== job #\d+ on demo/gm)?.every((line) => line.startsWith('== job #1 '))).toBe(
      true,
    );
    expect(fs.existsSync(canary)).toBe(false);
  });
});

function commandOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** The per-connection sshd process serving `pid` (its nearest `sshd:` ancestor). */
function sshdAncestor(pid: number): number | null {
  let current = pid;
  for (let depth = 0; depth < 10; depth += 1) {
    const stat = fs.readFileSync(`/proc/${current}/stat`, 'utf8');
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!parent || parent <= 1) return null;
    if (commandOf(parent).startsWith('sshd:')) return parent;
    current = parent;
  }
  return null;
}
