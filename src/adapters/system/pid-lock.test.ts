import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquirePidLock } from './pid-lock.ts';

describe('acquirePidLock', () => {
  let dir: string;
  let other: ChildProcess;
  const lockFile = () => path.join(dir, 'mpibox.pid');
  /** The other process's start time (field 22 of /proc/<pid>/stat) and this boot's id. */
  const identityOf = (pid: number) => {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return {
      startedAt: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19],
      bootId: fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
    };
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpibox-lock-'));
    other = spawn('sleep', ['30'], { stdio: 'ignore' });
  });

  afterEach(() => {
    other.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('takes a free lock and gives it back', () => {
    const lock = acquirePidLock(dir);

    expect('release' in lock).toBe(true);
    expect(fs.readFileSync(lockFile(), 'utf8')).toMatch(new RegExp(`^${process.pid} \\d+ [0-9a-f-]{36}\\n$`));
    if ('release' in lock) lock.release();
    expect(fs.existsSync(lockFile())).toBe(false);
  });

  it('refuses a lock held by another running bot, also in the older pid-only format', () => {
    const pid = other.pid ?? 0;
    const { startedAt, bootId } = identityOf(pid);
    fs.writeFileSync(lockFile(), `${pid} ${startedAt} ${bootId}\n`);
    const held = acquirePidLock(dir);
    fs.writeFileSync(lockFile(), `${pid}\n`);
    const heldOldFormat = acquirePidLock(dir);

    expect(held).toEqual({ heldBy: pid });
    expect(heldOldFormat).toEqual({ heldBy: pid });
  });

  it('takes over a lock whose pid now belongs to another process, or to an earlier boot', () => {
    const pid = other.pid ?? 0;
    const { startedAt, bootId } = identityOf(pid);

    fs.writeFileSync(lockFile(), `${pid} ${Number(startedAt) - 1} ${bootId}\n`);
    const reusedPid = acquirePidLock(dir);
    if ('release' in reusedPid) reusedPid.release();
    fs.writeFileSync(lockFile(), `${pid} ${startedAt} 00000000-0000-0000-0000-000000000000\n`);
    const earlierBoot = acquirePidLock(dir);

    expect('release' in reusedPid).toBe(true);
    expect('release' in earlierBoot).toBe(true);
    expect(fs.readFileSync(lockFile(), 'utf8')).toMatch(new RegExp(`^${process.pid} `));
  });

  it('takes over the lock of a bot that died', async () => {
    const dead = spawn('true');
    await new Promise((resolve) => dead.on('exit', resolve));
    fs.writeFileSync(lockFile(), `${dead.pid} 1 -\n`);

    expect('release' in acquirePidLock(dir)).toBe(true);
  });
});
