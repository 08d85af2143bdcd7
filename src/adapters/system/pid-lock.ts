import fs from 'node:fs';
import path from 'node:path';
import Sqlite from 'better-sqlite3';

/**
 * One bot per data folder: two bots on the same clusters would create and delete things
 * twice. The lock is an exclusive SQLite lock on `mpibox.lock` (an fcntl lock underneath), so
 * the operating system drops it the moment the bot dies, however it dies, and two bots
 * starting at the same instant cannot both get it. `mpibox.pid` only names the holder for the
 * message a second bot prints.
 */
/** Open lock connections: referenced here so garbage collection can never close one (and drop the lock). */
const HELD = new Set<Sqlite.Database>();

export function acquirePidLock(dataDir: string): { release(): void } | { heldBy: number } {
  const pidFile = path.join(dataDir, 'mpibox.pid');
  const db = new Sqlite(path.join(dataDir, 'mpibox.lock'), { timeout: 0 });
  try {
    // In exclusive locking mode the lock taken by the first transaction is kept until close.
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
    return { heldBy: readPid(pidFile) ?? -1 };
  }
  HELD.add(db);
  fs.writeFileSync(pidFile, `${process.pid}\n`);
  return {
    release() {
      if (readPid(pidFile) === process.pid) fs.rmSync(pidFile, { force: true });
      HELD.delete(db);
      db.close();
    },
  };
}

function readPid(file: string): number | null {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
