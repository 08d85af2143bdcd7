import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folder of this file, for fixtures next to it. */
export const SUPPORT_DIR = path.dirname(fileURLToPath(import.meta.url));

/** A fresh temporary folder without spaces (the local provider refuses those). */
export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
}

/** A user key pair made by the stock ssh-keygen, as a scientist would have. */
export function makeUserKey(dir: string, name = 'id_ed25519'): { privatePath: string; publicLine: string } {
  const privatePath = path.join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'tester@laptop', '-f', privatePath]);
  return { privatePath, publicLine: fs.readFileSync(`${privatePath}.pub`, 'utf8').trim() };
}

/** Runs the stock OpenSSH client the way a user would paste the line the bot posted. */
export function sshArgs(privatePath: string, port: number, userAtHost: string, command: string): string[] {
  return [
    '-i',
    privatePath,
    '-p',
    String(port),
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'LogLevel=ERROR',
    '-o',
    'IdentitiesOnly=yes',
    userAtHost,
    command,
  ];
}

/** Ports with a listener on 127.0.0.1, from /proc/net/tcp (state 0A = LISTEN). */
export function listeningPorts(): Set<number> {
  const ports = new Set<number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] === '0A' && fields[1]) ports.add(Number.parseInt(fields[1].split(':')[1] ?? '0', 16));
    }
  }
  return ports;
}

/** Pids of live processes (not zombies, not this one) for which `test(pid)` holds. */
function findPids(test: (pid: string) => boolean): number[] {
  const pids: number[] = [];
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
      if (state !== 'Z' && test(pid)) pids.push(Number(pid));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

/** Pids of processes whose environment contains exactly `KEY=value`. */
export function pidsWithEnv(pair: string): number[] {
  return findPids((pid) => fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(pair));
}

/** Pids of processes whose environment mentions `needle` anywhere (e.g. a data folder). */
export function pidsWithEnvironmentContaining(needle: string): number[] {
  return findPids((pid) => fs.readFileSync(`/proc/${pid}/environ`, 'utf8').includes(needle));
}

/** Pids whose command line mentions `needle`. */
export function pidsWithCommandLine(needle: string): number[] {
  return findPids((pid) =>
    fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(needle),
  );
}

/** Picks a base port unlikely to collide with other test files running in parallel. */
export function testBasePort(offset: number): number {
  return 21000 + offset * 100 + (process.pid % 50);
}
