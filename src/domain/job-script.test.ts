import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/support/local-fixtures.ts';
import {
  cancelGroupCommand,
  followCommand,
  jobFiles,
  jobScript,
  launchCommand,
  mpiexecArgv,
  sweepCommand,
} from './job-script.ts';
import { shellQuote } from './job.ts';

const HOSTILE = [
  "it's",
  '$(touch CANARY)',
  '`touch CANARY`',
  '; touch CANARY',
  '&& touch CANARY',
  '| touch CANARY',
  '"; touch CANARY; "',
  "'; touch CANARY; '",
  '\\',
  '\n touch CANARY',
  'ünïcødé ✓',
  '',
];

/** Pids in process group `pgid` that are not zombies. */
function liveInGroup(pgid: number): number[] {
  return fs.readdirSync('/proc').flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(pgrp) === pgid && state !== 'Z' ? [Number(entry)] : [];
    } catch {
      return []; // gone meanwhile
    }
  });
}

/** A job in a fresh folder whose command creates the file RAN in its work folder. */
function touchingJob(prefix: string, jobId: number) {
  const root = makeTempDir(prefix);
  const remoteDir = path.join(root, 'jobs', String(jobId));
  const script = jobScript({ jobId, remoteDir, workDir: root, mpiexecArgv: [], userCommand: 'touch RAN' });
  return { root, remoteDir, script };
}

describe('job scripts', () => {
  it('shellQuote keeps every hostile string one literal word', () => {
    const dir = makeTempDir('mpibox-quote');

    const output = execFileSync('sh', ['-c', `printf '%s\\0' ${HOSTILE.map(shellQuote).join(' ')}`], {
      cwd: dir,
    });

    expect(output.toString('utf8').split('\0').slice(0, -1)).toEqual(HOSTILE);
    expect(fs.existsSync(path.join(dir, 'CANARY'))).toBe(false);
  });

  it('launches detached in a hostile-named folder, runs once, and follows to the exit status', () => {
    const root = makeTempDir('mpibox-launch');
    const remoteDir = path.join(root, "it's $(touch CANARY) `x` dir", 'jobs', '7');
    const script = jobScript({
      jobId: 7,
      remoteDir,
      workDir: root,
      mpiexecArgv: ['printf', '%s\\n', ...HOSTILE.slice(0, 8)],
      userCommand: '; echo "user says $MPIBOX_JOB_ID"; exit 5',
    });

    const pid = execFileSync('sh', ['-c', launchCommand(remoteDir)], { input: script, cwd: root })
      .toString()
      .trim();
    const again = execFileSync('sh', ['-c', launchCommand(remoteDir)], {
      input: 'echo SECOND RUN',
      cwd: root,
    })
      .toString()
      .trim();
    const followed = execFileSync('sh', ['-c', `${followCommand(remoteDir, Number(pid), 0)} 2>&1`], {
      cwd: root,
    }).toString();

    // After a restart the job's pid may belong to something else that lives on: with the exit
    // status written, following must still end (this test process is such a living pid).
    const refollowed = execFileSync('sh', ['-c', `${followCommand(remoteDir, process.pid, 0)} 2>&1`], {
      cwd: root,
      timeout: 5000,
    }).toString();

    expect(again).toBe(pid);
    expect(refollowed).toBe(followed);
    expect(followed).toBe(`${HOSTILE.slice(0, 8).join('\n')}\nuser says 7\nexit 5\n`);
    expect(fs.readFileSync(jobFiles(remoteDir).exit, 'utf8').trim()).toBe('5');
    const created = fs.readdirSync(root, { recursive: true, encoding: 'utf8' });
    expect(created.filter((name) => path.basename(name) === 'CANARY')).toEqual([]);
  });

  it('stops a job whose pid was never heard, from its folder, and keeps a late launch from starting', () => {
    const root = makeTempDir('mpibox-undo');
    const started = path.join(root, 'jobs', '8');
    const script = (marker: string) =>
      jobScript({
        jobId: 8,
        remoteDir: started,
        workDir: root,
        mpiexecArgv: [],
        userCommand: `touch ${marker}; sleep 60`,
      });
    const pid = Number(
      execFileSync('sh', ['-c', launchCommand(started)], { input: script('RAN'), cwd: root }),
    );
    const neverStarted = path.join(root, 'jobs', '9');

    execFileSync('sh', ['-c', cancelGroupCommand(started, null, 200)]);
    execFileSync('sh', ['-c', cancelGroupCommand(neverStarted, null, 200)]);
    const lateLaunch = () =>
      execFileSync('sh', ['-c', launchCommand(neverStarted)], {
        input: script('LATE'),
        cwd: root,
        timeout: 5000,
      });

    expect(liveInGroup(pid)).toEqual([]); // the whole group is gone (zombies wait for a reaper)
    expect(lateLaunch).toThrow(/Command failed/); // at once: no pid will come
    expect(fs.existsSync(path.join(root, 'RAN'))).toBe(true);
    expect(fs.existsSync(path.join(root, 'LATE'))).toBe(false);
  });

  it('runs no script that arrived incomplete, and lets a retry start it afresh', () => {
    const { root, remoteDir, script: whole } = touchingJob('mpibox-partial', 3);
    const cut = whole.slice(0, whole.indexOf('touch RAN')); // the connection dropped mid-script

    const partial = () => execFileSync('sh', ['-c', launchCommand(remoteDir)], { input: cut, cwd: root });
    expect(partial).toThrow(/the job script arrived incomplete/);
    expect(fs.existsSync(remoteDir)).toBe(false);

    const pid = Number(execFileSync('sh', ['-c', launchCommand(remoteDir)], { input: whole, cwd: root }));
    execFileSync('sh', ['-c', followCommand(remoteDir, pid, 0)], { cwd: root });
    expect(fs.existsSync(path.join(root, 'RAN'))).toBe(true);
  });

  it('a script that starts after a cancel looked for its pid ends at once', () => {
    const { root, remoteDir, script } = touchingJob('mpibox-late', 4);
    execFileSync('sh', ['-c', cancelGroupCommand(remoteDir, null, 100)]); // finds no pid yet
    fs.writeFileSync(jobFiles(remoteDir).script, script); // the launch had already taken the folder

    const run = spawnSync('sh', [jobFiles(remoteDir).script], { cwd: root });

    expect(run.status).toBe(143);
    expect(fs.existsSync(path.join(root, 'RAN'))).toBe(false);
    expect(fs.readFileSync(jobFiles(remoteDir).exit, 'utf8').trim()).toBe('143');
  });

  it('does not signal a pid that now belongs to another process, nor a job that ended', () => {
    const root = makeTempDir('mpibox-reused');
    const stranger = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    const ended = path.join(root, 'jobs', '5');
    fs.mkdirSync(ended, { recursive: true });
    fs.writeFileSync(jobFiles(ended).exit, '0\n');

    execFileSync('sh', ['-c', cancelGroupCommand(path.join(root, 'jobs', '6'), stranger.pid ?? 0, 100)]);
    execFileSync('sh', ['-c', cancelGroupCommand(ended, stranger.pid ?? 0, 100)]);

    expect(liveInGroup(stranger.pid ?? 0)).toEqual([stranger.pid]);
    process.kill(-(stranger.pid ?? 0), 'SIGKILL');
  });

  it('builds mpiexec words with the machinefile, ranks and ranks per node', () => {
    expect(
      mpiexecArgv({
        launcher: ['mpiexec', '--bind-to', 'none'],
        machinefile: '/w/mf',
        ranks: 8,
        ranksPerNode: 4,
      }),
    ).toEqual([
      'mpiexec',
      '--bind-to',
      'none',
      '--machinefile',
      '/w/mf',
      '-n',
      '8',
      '--map-by',
      'ppr:4:node',
      '-x',
      'MPIBOX_JOB_ID',
      '-x',
      'MPIBOX_JOB_DIR',
    ]);
  });

  it('sweeps every process carrying the job id and folder, and only those', () => {
    const spawnWith = (env: Record<string, string>) =>
      spawn('sh', ['-c', 'sleep 60 & sleep 60'], {
        env: { PATH: process.env.PATH, ...env },
        detached: true,
      });
    const mine = [
      spawnWith({ MPIBOX_JOB_ID: '99', MPIBOX_JOB_DIR: '/c1/jobs/99' }),
      spawnWith({ MPIBOX_JOB_ID: '99', MPIBOX_JOB_DIR: '/c1/jobs/99' }),
      spawnWith({ MPIBOX_JOB_ID: '99' }), // started before jobs carried their folder
    ];
    const others = [
      spawnWith({ MPIBOX_JOB_ID: '999', MPIBOX_JOB_DIR: '/c1/jobs/999' }),
      // The same id on another cluster of the same machine (another local bot, say).
      spawnWith({ MPIBOX_JOB_ID: '99', MPIBOX_JOB_DIR: '/c2/jobs/99' }),
    ];
    const alive = (pid: number | undefined) => {
      try {
        return !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
      } catch {
        return false;
      }
    };

    execFileSync('sh', ['-c', sweepCommand(99, '/c1/jobs/99')]);

    expect(mine.map((child) => alive(child.pid))).toEqual([false, false, false]);
    expect(others.map((child) => alive(child.pid))).toEqual([true, true]);
    for (const other of others) process.kill(-(other.pid ?? 0), 'SIGKILL');
  });
});
