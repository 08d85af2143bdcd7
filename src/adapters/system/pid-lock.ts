import fs from 'node:fs';
import path from 'node:path';

/**
 * One bot per data folder: two bots on the same clusters would create and delete things
 * twice. The lock is a file naming the holder: its pid, plus (on Linux) when that process
 * started and the boot it started in, so a pid handed to another process after the bot died
 * or the machine rebooted is not mistaken for the bot. A stale lock is taken over.
 */
export function acquirePidLock(dataDir: string): { release(): void } | { heldBy: number } {
  const file = path.join(dataDir, 'mpibox.pid');
  const mine = identify(process.pid);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      fs.writeFileSync(file, `${format(mine)}\n`, { flag: 'wx' });
      return {
        release() {
          if (readHolder(file)?.pid === process.pid) fs.rmSync(file, { force: true });
        },
      };
    } catch {
      const holder = readHolder(file);
      if (holder !== null && holder.pid !== process.pid && isAlive(holder)) return { heldBy: holder.pid };
      fs.rmSync(file, { force: true }); // stale
    }
  }
  return { heldBy: readHolder(file)?.pid ?? -1 };
}

/** A process as the lock file records it; `startedAt` and `bootId` are null where /proc is not. */
interface Holder {
  pid: number;
  /** Start time in clock ticks since boot (/proc/<pid>/stat, field 22). */
  startedAt: string | null;
  bootId: string | null;
}

function identify(pid: number): Holder {
  return { pid, startedAt: startTimeOf(pid), bootId: currentBootId() };
}

function format(holder: Holder): string {
  return [holder.pid, holder.startedAt ?? '-', holder.bootId ?? '-'].join(' ');
}

function readHolder(file: string): Holder | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const [pidText, startedAt, bootId] = text.trim().split(/\s+/);
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const known = (value: string | undefined) => (value && value !== '-' ? value : null);
  return { pid, startedAt: known(startedAt), bootId: known(bootId) };
}

/** The recorded process still runs: same pid, and same start and boot wherever both are known. */
function isAlive(holder: Holder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const bootId = currentBootId();
  if (holder.bootId !== null && bootId !== null && holder.bootId !== bootId) return false;
  const startedAt = startTimeOf(holder.pid);
  return holder.startedAt === null || startedAt === null || holder.startedAt === startedAt;
}

function startTimeOf(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function currentBootId(): string | null {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}
