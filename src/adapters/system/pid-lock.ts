import fs from 'node:fs';
import path from 'node:path';

/**
 * One bot per data folder: two bots on the same clusters would create and delete things
 * twice. The lock is a pid file; a lock left by a killed bot (its pid no longer running) is
 * taken over.
 */
export function acquirePidLock(dataDir: string): { release(): void } | { heldBy: number } {
  const file = path.join(dataDir, 'mpibox.pid');
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return {
        release() {
          if (readPid(file) === process.pid) fs.rmSync(file, { force: true });
        },
      };
    } catch {
      const holder = readPid(file);
      if (holder !== null && holder !== process.pid && isRunning(holder)) return { heldBy: holder };
      fs.rmSync(file, { force: true }); // stale
    }
  }
  return { heldBy: readPid(file) ?? -1 };
}

function readPid(file: string): number | null {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
