import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * OS users of the fake machines. Every machine is this host, so users are this host's
 * (useradd, as root): the homes in /home are shared by all machines, as ~/shared is over NFS on
 * Azure. Users the fake creates carry MARKER in their GECOS field, so a later run can tell its
 * leftovers (a run that crashed) from users that were there before, which it never removes.
 */
export const MARKER = '[mpibox fake machine]';

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** The user from the passwd database, or null. */
export async function lookUpUser(name: string): Promise<(OsUser & { gecos: string }) | null> {
  try {
    const { stdout } = await execFileAsync('getent', ['passwd', name]);
    const [, , uid, gid, gecos, home] = stdout.trim().split(':');
    return { name, uid: Number(uid), gid: Number(gid), home: home ?? '', gecos: gecos ?? '' };
  } catch {
    return null;
  }
}

/**
 * Makes the user unless it exists; `created` is true when the fake owns it (made now, or left
 * marked by an earlier run). The password field is `*` (no password, not locked): sshd without
 * PAM refuses locked accounts even for keys.
 */
export async function ensureUser(user: {
  name: string;
  shell: string;
  gecos: string;
}): Promise<OsUser & { created: boolean }> {
  const known = await lookUpUser(user.name);
  if (known) return { ...known, created: known.gecos.includes(MARKER) };
  const gecos = `${user.gecos} ${MARKER}`.trim();
  await execFileAsync('useradd', ['-m', '-U', '-s', user.shell, '-c', gecos, '-p', '*', user.name]);
  const made = await lookUpUser(user.name);
  if (!made) throw new Error(`useradd ${user.name} made no user`);
  return { ...made, created: true };
}

/** Removes a user the fake made, with its home; its processes must be gone. */
export async function removeUser(name: string): Promise<void> {
  const known = await lookUpUser(name);
  if (!known?.gecos.includes(MARKER)) return;
  await execFileAsync('userdel', ['-r', '-f', name]).catch(async (error: unknown) => {
    // userdel exits 12 when only the mail spool was missing; the user is gone all the same.
    if (await lookUpUser(name)) throw error;
  });
}

/** Writes `~/.ssh/authorized_keys` (0600, the user's, in a 0700 ~/.ssh), atomically. */
export function writeAuthorizedKeys(user: OsUser, keys: readonly string[]): void {
  const dir = path.join(user.home, '.ssh');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chownSync(dir, user.uid, user.gid);
  const lines = [...new Set(keys.map((key) => key.trim()).filter((key) => key !== ''))];
  writeOwnedFile(path.join(dir, 'authorized_keys'), `${lines.join('\n')}\n`, 0o600, user.uid, user.gid);
}

/** Writes a file atomically with its mode and owner (a temporary name, then a rename). */
export function writeOwnedFile(
  file: string,
  content: string | Buffer,
  mode: number,
  uid: number,
  gid: number,
): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  fs.writeFileSync(temporary, content, { mode });
  fs.chmodSync(temporary, mode);
  fs.chownSync(temporary, uid, gid);
  fs.renameSync(temporary, file);
}
