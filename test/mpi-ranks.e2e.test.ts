import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BotProcess } from './support/bot-process.ts';
import { SUPPORT_DIR, makeTempDir, testBasePort } from './support/local-fixtures.ts';

const RUNS = 10;
const RANKS = 4;
/** Two nodes with two slots each: two ranks per node, as on a real multi-core node. */
const SLOTS_PER_NODE = 2;

/** A bot in console mode with two-slot nodes; its jobs finish one after another per cluster. */
describe('several ranks per node on local clusters (real sshd, real Open MPI)', () => {
  const dataDir = makeTempDir('mpibox-e2e-ranks');
  let bot: BotProcess;
  const workDirs = new Map<string, string>();

  beforeAll(async () => {
    bot = new BotProcess({
      MPIBOX_DATA_DIR: dataDir,
      MPIBOX_LOCAL_BASE_PORT: String(testBasePort(22)),
      MPIBOX_LOCAL_SLOTS_PER_NODE: String(SLOTS_PER_NODE),
      MPIBOX_CHAT_INTERVAL_MS: '100',
    });
    for (const name of ['ringa', 'ringb']) {
      bot.send(`/mpi up 2 ${name}`);
      await bot.waitFor(new RegExp(`Cluster ${name} is ready`), 60_000);
      const machinefile = bot.stdout.match(
        new RegExp(`Machinefile \`([^\`]+/${name}-[0-9a-f]+/work/machinefile)\``),
      );
      const workDir = path.dirname(machinefile?.[1] ?? '');
      workDirs.set(name, workDir);
      fs.copyFileSync(path.join(SUPPORT_DIR, 'mpi-ring.c'), path.join(workDir, 'shared', 'ring.c'));
    }
  }, 120_000);

  afterAll(async () => {
    if (bot.child.exitCode === null) {
      bot.send('/mpi down ringa --yes');
      bot.send('/mpi down ringb --yes');
      await bot.end();
    }
  });

  /** The job's log as the bot keeps it. */
  const log = (jobId: number) => fs.readFileSync(path.join(dataDir, 'logs', `job-${jobId}.log`), 'utf8');

  it(
    `runs ${RANKS} ranks on 2 nodes × ${SLOTS_PER_NODE} slots ${RUNS} times in a row, while a second cluster does the same`,
    { timeout: 300_000 },
    async () => {
      // Job ids are handed out in the order the commands arrive.
      bot.send('/mpi run ringa -n 1 -- mpicc -O2 -o shared/ring shared/ring.c');
      bot.send('/mpi run ringb -n 1 -- mpicc -O2 -o shared/ring shared/ring.c');
      const jobsOf = { ringa: [] as number[], ringb: [] as number[] };
      let next = 3;
      for (let run = 0; run < RUNS; run += 1) {
        for (const name of ['ringa', 'ringb'] as const) {
          bot.send(`/mpi run ${name} -n ${RANKS} -- ./shared/ring`);
          jobsOf[name].push(next);
          next += 1;
        }
      }
      const last = next - 1;
      await bot.waitFor(new RegExp(`job #${last} on ringb: (succeeded|failed|lost|cancelled)`), 280_000);
      for (const jobId of [...jobsOf.ringa, ...jobsOf.ringb])
        await bot.waitFor(new RegExp(`job #${jobId} on ring[ab]: (succeeded|failed|lost|cancelled)`), 60_000);

      for (const [name, jobIds] of Object.entries(jobsOf)) {
        for (const jobId of jobIds) {
          expect(bot.stdout, `job ${jobId}`).toMatch(new RegExp(`job #${jobId} on ${name}: succeeded`));
          const ranks = log(jobId)
            .split('\n')
            .filter((line) => line.startsWith('rank '))
            .sort();
          // Ranks fill node 0's slots, then node 1's; each node is a machine of its own to
          // Open MPI (its own host name, two ranks sharing memory).
          expect(ranks, `log of job ${jobId}`).toEqual([
            `rank 0 of 4 on ${name}-0 host ${name}-0 local 2 allreduce ok ring ok`,
            `rank 1 of 4 on ${name}-0 host ${name}-0 local 2 allreduce ok ring ok`,
            `rank 2 of 4 on ${name}-1 host ${name}-1 local 2 allreduce ok ring ok`,
            `rank 3 of 4 on ${name}-1 host ${name}-1 local 2 allreduce ok ring ok`,
          ]);
        }
      }
      // The runs of the two clusters overlapped in time (or the second proved nothing).
      expect(overlaps(jobsOf.ringa, jobsOf.ringb)).toBeGreaterThan(0);
    },
  );

  it('passes the HPC Challenge suite (hpcc) on 2 nodes × 2 ranks', { timeout: 240_000 }, async () => {
    const hpcc = execFileSync('sh', ['-c', 'command -v hpcc || true'], { encoding: 'utf8' }).trim();
    expect(hpcc, 'hpcc is not installed: scripts/dev.sh installs it (Debian package hpcc)').not.toBe('');
    const workDir = workDirs.get('ringa') ?? '';
    fs.copyFileSync(path.join(SUPPORT_DIR, 'hpccinf.txt'), path.join(workDir, 'hpccinf.txt'));
    fs.rmSync(path.join(workDir, 'hpccoutf.txt'), { force: true });
    const from = bot.stdout.length;

    bot.send(`/mpi run ringa -n ${RANKS} -- hpcc`);
    const done = await bot.waitFor(
      /job #(\d+) on ringa: (succeeded|failed[^=\n]*|lost|cancelled) ==/,
      220_000,
      from,
    );

    const report = fs.readFileSync(path.join(workDir, 'hpccoutf.txt'), 'utf8');
    expect(done[2], report.slice(-2000)).toBe('succeeded');
    expect(report).toMatch(/^Success=1$/m);
    expect(report).toMatch(/^CommWorldProcs=4$/m);
    expect(report).not.toMatch(/FAILED/);
  });

  /** How many jobs of `a` ran at the same time as some job of `b` (from their logs' times). */
  function overlaps(a: number[], b: number[]): number {
    const spans = (ids: number[]) => ids.map((id) => jobSpan(id));
    const other = spans(b);
    return spans(a).filter((span) =>
      other.some((candidate) => candidate.start < span.end && span.start < candidate.end),
    ).length;
  }

  function jobSpan(jobId: number): { start: number; end: number } {
    const db = new Database(path.join(dataDir, 'mpibox.db'), { readonly: true });
    try {
      return db
        .prepare('SELECT started_at_ms AS start, ended_at_ms AS end FROM jobs WHERE id = ?')
        .get(jobId) as {
        start: number;
        end: number;
      };
    } finally {
      db.close();
    }
  }
});
