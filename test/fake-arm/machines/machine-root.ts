import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { CloudConfig } from './cloud-config.ts';
import {
  cloudInitText,
  nfsToolTexts,
  sshdConfigText,
  sudoFrontC,
  sudoScriptText,
  type MachineLayout,
} from './machine-files.ts';
import { lookUpUser, writeOwnedFile } from './os-users.ts';

const execFileAsync = promisify(execFile);

/**
 * A machine's own folder: its root (what cloud-init's write_files made, under MPIBOX_ROOT),
 * its tools, its host key, its sshd_config and its private /tmp. `<root>/home` links to this
 * host's /home, so files cloud-init writes into homes land in the real ones, which every
 * machine shares (as ~/shared over NFS).
 */
export function machineLayout(dir: string, computerName: string): MachineLayout & { dir: string } {
  return {
    dir,
    computerName,
    root: path.join(dir, 'root'),
    bin: path.join(dir, 'bin'),
    sbin: path.join(dir, 'sbin'),
    libexec: path.join(dir, 'libexec'),
    hostKey: path.join(dir, 'ssh_host_ed25519_key'),
    pidFile: path.join(dir, 'sshd.pid'),
  };
}

/** The folders, and the host key on first boot (kept across deallocate, as a VM's disk). */
export async function prepareMachineDir(layout: MachineLayout & { dir: string }): Promise<void> {
  // Root-owned and world-traversable: the admin user runs bin/sudo, sshd checks the key's owner.
  for (const dir of [layout.dir, layout.root, layout.bin, layout.sbin, layout.libexec]) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    fs.chmodSync(dir, 0o755);
  }
  fs.mkdirSync(path.join(layout.root, 'var/log'), { recursive: true, mode: 0o755 });
  if (!fs.existsSync(path.join(layout.root, 'home'))) fs.symlinkSync('/home', path.join(layout.root, 'home'));
  // A fresh /tmp at every boot.
  fs.rmSync(path.join(layout.dir, 'tmp'), { recursive: true, force: true });
  fs.mkdirSync(path.join(layout.dir, 'tmp'), { mode: 0o1777 });
  fs.chmodSync(path.join(layout.dir, 'tmp'), 0o1777);
  if (!fs.existsSync(layout.hostKey)) {
    await execFileAsync('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      layout.computerName,
      '-f',
      layout.hostKey,
    ]);
  }
}

/** `write_files` entries into the machine's root, with their modes and owners. */
export async function writeFiles(
  layout: MachineLayout,
  files: CloudConfig['writeFiles'],
  stage: 'early' | 'deferred',
): Promise<void> {
  for (const file of files.filter((candidate) => candidate.defer === (stage === 'deferred'))) {
    const [userName, groupName] = (file.owner ?? 'root:root').split(':');
    const user = userName === 'root' ? { uid: 0, gid: 0 } : await lookUpUser(userName ?? '');
    if (!user) throw new Error(`write_files ${file.path}: no user ${userName}`);
    const gid = groupName === undefined || groupName === userName ? user.gid : await groupId(groupName);
    writeOwnedFile(path.join(layout.root, file.path), file.content, file.mode, user.uid, gid);
  }
}

/** The machine's sudo, cloud-init and NFS stand-ins; sudo only for `sudoUids`. */
export async function installTools(layout: MachineLayout, sudoUids: readonly number[]): Promise<void> {
  writeOwnedFile(path.join(layout.libexec, 'sudo'), sudoScriptText(layout), 0o755, 0, 0);
  writeOwnedFile(path.join(layout.bin, 'cloud-init'), cloudInitText(), 0o755, 0, 0);
  for (const [name, text] of Object.entries(nfsToolTexts(layout))) {
    writeOwnedFile(path.join(layout.sbin, name), text, 0o755, 0, 0);
  }
  const source = path.join(layout.libexec, 'sudo-front.c');
  fs.writeFileSync(source, sudoFrontC(layout, sudoUids));
  const binary = path.join(layout.libexec, 'sudo-front');
  await execFileAsync('cc', ['-O', '-o', binary, source]);
  fs.chmodSync(binary, 0o4755);
  fs.renameSync(binary, path.join(layout.bin, 'sudo'));
}

/** sshd_config for the machine's users. */
export function writeSshdConfig(layout: MachineLayout & { dir: string }, users: readonly string[]): string {
  const file = path.join(layout.dir, 'sshd_config');
  fs.writeFileSync(file, sshdConfigText(layout, users), { mode: 0o644 });
  return file;
}

async function groupId(name: string): Promise<number> {
  const { stdout } = await execFileAsync('getent', ['group', name]);
  return Number(stdout.split(':')[2]);
}
