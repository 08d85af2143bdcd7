import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { isolatedArgv } from '../../../src/providers/local/node-isolation.ts';
import type { MachineLayout } from './machine-files.ts';
import { stopProcessesIn } from './netns.ts';

/**
 * The machine's boot, inside its mount namespace: its own /tmp (a folder of this host, as the
 * VM's disk) and /dev/shm (Open MPI's shared-memory segments), then sshd. Why the machines'
 * folder is not under /tmp: the bind mount hides it there.
 */
const PRIVATE_TMP_AND_EXEC =
  'mount --bind "$1" /tmp && mount -t tmpfs -o mode=1777,size=512m mpibox-shm /dev/shm && shift && exec "$@"';

/**
 * Boots a machine: whatever ran in its network namespace is stopped, then sshd starts there in
 * a UTS namespace named after the machine (node-isolation.ts) and a mount namespace of its own.
 * Resolves with sshd's pid once it listens (it writes its pid file then); rejects with the end
 * of its log if it exits or takes over 15 s.
 */
export async function bootSshd(
  netns: string,
  layout: MachineLayout & { dir: string },
  sshdConfig: string,
): Promise<number> {
  await stopProcessesIn(netns);
  fs.rmSync(layout.pidFile, { force: true });
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege-separation folder
  const sshd = ['/usr/sbin/sshd', '-D', '-e', '-f', sshdConfig];
  const boot = [
    'unshare',
    '--mount',
    '--propagation',
    'private',
    '--',
    '/bin/sh',
    '-c',
    PRIVATE_TMP_AND_EXEC,
  ];
  const tmp = path.join(layout.dir, 'tmp');
  // ip netns exec, unshare and sh each exec the next: the child's pid ends up sshd's.
  const argv = [
    'ip',
    'netns',
    'exec',
    netns,
    ...isolatedArgv('uts', layout.computerName, [...boot, 'sh', tmp, ...sshd]),
  ];
  const logFile = path.join(layout.dir, 'sshd.log');
  const log = fs.openSync(logFile, 'a');
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', log, log], detached: true });
  fs.closeSync(log);
  child.unref();
  let exited: string | null = null;
  child.on('exit', (code, signal) => {
    exited = `sshd exited with ${code ?? signal}`;
  });
  const deadline = Date.now() + 15_000;
  for (;;) {
    const pid = fs.existsSync(layout.pidFile) ? Number(fs.readFileSync(layout.pidFile, 'utf8').trim()) : 0;
    if (pid > 0 && pid === child.pid) return pid;
    if (exited !== null || Date.now() > deadline) {
      const tail = fs.readFileSync(logFile, 'utf8').trim().slice(-500);
      throw new Error(`${layout.computerName}: ${exited ?? 'sshd did not listen in 15 s'}: ${tail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** True when the port answers with an SSH banner within 2 s. */
export function answersSsh(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let seen = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.on('data', (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      if (seen.startsWith('SSH-')) done(true);
    });
    socket.on('error', () => done(false));
    socket.on('close', () => done(false));
  });
}
