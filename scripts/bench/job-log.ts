import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileLogStore } from '../../src/adapters/logs/file-log-store.ts';
import { JsonLogger } from '../../src/adapters/system/json-logger.ts';
import { SystemClock } from '../../src/adapters/system/system-clock.ts';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import type { Chat, Message, MessageRef } from '../../src/ports/chat.ts';

const LOG_BYTES = 100_000_000; // 100 MB
const ROUNDS = 3;

/** Chat that only counts calls, with their times. */
class CountingChat implements Chat {
  readonly times: number[] = [];
  #next = 1;
  async post(channelId: string, _message: Message): Promise<MessageRef> {
    this.times.push(Date.now());
    return { channelId, messageId: String(this.#next++) };
  }
  async update(): Promise<void> {
    this.times.push(Date.now());
  }
  async ephemeral(): Promise<void> {}
  async attach(): Promise<void> {
    this.times.push(Date.now());
  }
}

/** The bot's log copy, timed: first and last byte written. */
class TimedLogStore extends FileLogStore {
  firstAtMs = 0;
  lastAtMs = 0;
  override append(jobId: number, chunk: Buffer): void {
    const now = performance.now();
    if (this.firstAtMs === 0) this.firstAtMs = now;
    super.append(jobId, chunk);
    this.lastAtMs = performance.now();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/**
 * A job that writes 100 MB through `/mpi run` on a local cluster: the bot's streaming
 * throughput (first to last byte into its own log copy) against `ssh -p PORT host 'cat log'`
 * to /dev/null on the same file, the bot's peak RSS, and chat calls per minute.
 */
export async function benchJobLog(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpibox-bench-'));
  const loaded = loadConfig(
    { MPIBOX_DATA_DIR: dataDir, MPIBOX_LOCAL_BASE_PORT: '10900', USER: os.userInfo().username },
    process.cwd(),
  );
  if (!loaded.ok) throw new Error(loaded.message);
  const chat = new CountingChat();
  const logs = new TimedLogStore(path.join(dataDir, 'logs'));
  const app = buildApp(loaded.config, {
    chat,
    clock: new SystemClock(),
    logger: new JsonLogger('warn'),
    logs,
  });
  const actor = { userId: 'bench', displayName: 'bench', channelId: 'bench' };
  try {
    await app.dispatcher.command(actor, '/mpi up 1 bench');
    await app.idle();
    const cluster = app.store.findLiveClusterByName('bench');
    const info = cluster ? await app.provider.info(cluster.id) : null;
    if (!info || !info.nodes[0]) throw new Error('cluster did not come up');
    const node = info.nodes[0];
    // Written in 1 MiB pieces so the benchmark's own memory does not count against the bot's.
    const piece = `${'x'.repeat(99)}\n`.repeat(LOG_BYTES / 100 / 100);
    const big = fs.openSync(path.join(info.sharedDir, 'big.txt'), 'w');
    for (let index = 0; index < 100; index += 1) fs.writeSync(big, piece);
    fs.closeSync(big);

    const liveRates: number[] = [];
    const catchUpRates: number[] = [];
    const sshRates: number[] = [];
    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 20);
    let chatCalls = 0;
    let jobSeconds = 0;
    let minGapInMs = Infinity;
    const ssh = (command: string) => {
      const started = performance.now();
      execFileSync(
        'ssh',
        [
          ...['-i', app.botKey.privateKeyPath, '-p', String(node.port)],
          ...['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR'],
          `${info.user}@${node.host}`,
          command,
        ],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
      return performance.now() - started;
    };
    for (let round = 1; round <= ROUNDS; round += 1) {
      // 1. Live: the job writes 100 MB while the bot follows it (through /mpi run, as users do).
      logs.firstAtMs = 0;
      const chatBefore = chat.times.length;
      const startedAt = Date.now();
      // `true` under mpiexec, then cat writes the log directly at disk speed, so the bot's
      // follower, not Open MPI's output forwarding, is what is measured.
      await app.dispatcher.command(actor, '/mpi run -n 1 -- true; cat shared/big.txt');
      await app.idle();
      const job = app.store.listJobs(cluster!.id, 1)[0];
      if (job?.state !== 'succeeded' || job.logBytes !== LOG_BYTES) {
        throw new Error(`job ended ${job?.state} with ${job?.logBytes} bytes`);
      }
      liveRates.push(LOG_BYTES / ((logs.lastAtMs - logs.firstAtMs) / 1000));
      const calls = chat.times.slice(chatBefore);
      chatCalls += calls.length;
      jobSeconds += (Date.now() - startedAt) / 1000;
      for (let index = 1; index < calls.length; index += 1) {
        minGapInMs = Math.min(minGapInMs, (calls[index] ?? 0) - (calls[index - 1] ?? 0));
      }

      // 2. Catch-up: as after a restart, the bot fetches the whole finished log again, connection
      // included, against `ssh -p PORT host 'cat log' > /dev/null`, connection included.
      fs.rmSync(logs.path(job.id));
      app.store.updateJob(job.id, { state: 'running', endedAtMs: null, exitCode: null });
      logs.firstAtMs = 0;
      const recoverAt = performance.now();
      app.jobs.recoverAll();
      await app.idle();
      if (app.store.getJob(job.id)?.logBytes !== LOG_BYTES)
        throw new Error('catch-up did not fetch the whole log');
      catchUpRates.push(LOG_BYTES / ((logs.lastAtMs - recoverAt) / 1000));
      sshRates.push(LOG_BYTES / (ssh(`cat '${path.join(job.remoteDir ?? '', 'log')}'`) / 1000));
    }
    clearInterval(sampler);

    const mb = (rate: number) => `${(rate / 1_000_000).toFixed(0)} MB/s`;
    const catchUp = median(catchUpRates);
    const baseline = median(sshRates);
    console.log(`job log streaming, 100 MB log, ${ROUNDS} rounds, medians:`);
    console.log(`  live, while the job writes (first to last byte):      ${mb(median(liveRates))}`);
    console.log(`  catch-up after a restart, connection included:        ${mb(catchUp)}`);
    console.log(`  ssh -p PORT host 'cat log' > /dev/null, same file:   ${mb(baseline)}`);
    console.log(
      `  ratio catch-up / ssh:                                 ${(catchUp / baseline).toFixed(2)}  (target >= 0.80)`,
    );
    console.log(
      `  peak RSS of the bot process:                          ${(peakRss / 1024 / 1024).toFixed(0)} MiB (${(rssBefore / 1024 / 1024).toFixed(0)} MiB before the jobs)  (target < 200 MiB)`,
    );
    console.log(
      `  chat calls: ${chatCalls} in ${jobSeconds.toFixed(1)} s of jobs = ${((chatCalls / jobSeconds) * 60).toFixed(0)}/min; ` +
        `smallest gap between two calls: ${minGapInMs} ms (Slack: about 1 per second per channel)`,
    );
    await app.dispatcher.command(actor, '/mpi down bench --yes');
    await app.idle();
  } finally {
    app.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
