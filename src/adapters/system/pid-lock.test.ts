import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquirePidLock } from './pid-lock.ts';

const MODULE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pid-lock.ts');
/** Every other bot started, killed after each test. */
const SPAWNED: ChildProcess[] = [];

/** Another bot: a process that takes the lock on `dir`, says so, and holds it until killed. */
function otherBot(dir: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '--disable-warning=ExperimentalWarning',
      '--input-type=module',
      '-e',
      `import { acquirePidLock } from ${JSON.stringify(MODULE)};
       const lock = acquirePidLock(${JSON.stringify(dir)});
       process.stdout.write('release' in lock ? 'locked\\n' : 'refused\\n');
       if ('release' in lock) setInterval(() => lock, 1000); else process.exit(0);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  SPAWNED.push(child);
  return new Promise((resolve, reject) => {
    child.stdout?.setEncoding('utf8').once('data', (line: string) => {
      if (line.startsWith('locked')) resolve(child);
      else reject(new Error(`the other bot could not lock: ${line}`));
    });
  });
}

describe('acquirePidLock', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpibox-lock-'));
  });

  afterEach(() => {
    for (const child of SPAWNED.splice(0)) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('takes a free lock, names its holder, and gives it back', () => {
    const lock = acquirePidLock(dir);

    expect('release' in lock).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'mpibox.pid'), 'utf8')).toBe(`${process.pid}\n`);
    if ('release' in lock) lock.release();
    expect(fs.existsSync(path.join(dir, 'mpibox.pid'))).toBe(false);
    const again = acquirePidLock(dir);
    expect('release' in again).toBe(true);
    if ('release' in again) again.release();
  });

  it('refuses while another bot holds it, and takes it once that bot was killed with SIGKILL', async () => {
    const other = await otherBot(dir);

    const whileHeld = acquirePidLock(dir);
    other.kill('SIGKILL');
    await new Promise((resolve) => other.once('exit', resolve));
    const afterKill = acquirePidLock(dir);

    expect(whileHeld).toEqual({ heldBy: other.pid });
    expect('release' in afterKill).toBe(true);
    if ('release' in afterKill) afterKill.release();
  });

  it('is not fooled by a pid file naming a live process that holds no lock (a reused pid)', () => {
    fs.writeFileSync(path.join(dir, 'mpibox.pid'), '1\n'); // pid 1 is always alive

    const lock = acquirePidLock(dir);

    expect('release' in lock).toBe(true);
    if ('release' in lock) lock.release();
  });

  it('lets exactly one of many bots starting at once have it', async () => {
    const attempts = Array.from({ length: 6 }, () =>
      otherBot(dir).then(
        () => 'locked',
        () => 'refused',
      ),
    );

    const outcomes = await Promise.all(attempts);

    expect(outcomes.filter((outcome) => outcome === 'locked')).toHaveLength(1);
  });
});
