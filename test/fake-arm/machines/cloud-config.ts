import { parse } from 'yaml';

/**
 * The parts of a `#cloud-config` document a fake machine applies, parsed permissively (as
 * cloud-init reads it: unknown keys are ignored). Pure.
 */
export interface CloudConfig {
  users: CloudUser[];
  writeFiles: CloudFile[];
  /** `runcmd` entries: an argv list each (a string entry becomes `/bin/sh -c <string>`). */
  runcmd: string[][];
}

/** One `users:` entry. */
export interface CloudUser {
  name: string;
  /** Login shell; cloud-init's default is the distribution's (`/bin/sh` here). */
  shell: string;
  gecos: string;
  /** `ssh_authorized_keys`, one OpenSSH line each. */
  authorizedKeys: string[];
  /** Whether the entry grants sudo (any non-empty `sudo` rule). */
  sudo: boolean;
}

/** One `write_files:` entry. */
export interface CloudFile {
  /** Absolute path on the machine. */
  path: string;
  content: Buffer;
  /** File mode; cloud-init's default is 0644. */
  mode: number;
  /** `user:group`, or null for root. */
  owner: string | null;
  /** Written after the users exist (cloud-init's final stage). */
  defer: boolean;
}

type Json = Record<string, unknown>;

/** Parses `customData`; throws when it is not a `#cloud-config` document. */
export function parseCloudConfig(text: string): CloudConfig {
  if (!text.startsWith('#cloud-config')) throw new Error('custom data is not a #cloud-config document');
  const doc = (parse(text) ?? {}) as Json;
  return {
    users: asList(doc.users).flatMap(userOf),
    writeFiles: asList(doc.write_files).map(fileOf),
    runcmd: asList(doc.runcmd).map((entry) =>
      Array.isArray(entry) ? entry.map(String) : ['/bin/sh', '-c', String(entry)],
    ),
  };
}

function userOf(entry: unknown): CloudUser[] {
  // `default` names the image's default user, which a fake machine does not have.
  if (typeof entry === 'string') return entry === 'default' ? [] : [plainUser(entry)];
  const user = entry as Json;
  const sudo = user.sudo;
  return [
    {
      ...plainUser(String(user.name)),
      ...(typeof user.shell === 'string' ? { shell: user.shell } : {}),
      ...(typeof user.gecos === 'string' ? { gecos: user.gecos } : {}),
      authorizedKeys: asList(user.ssh_authorized_keys).map(String),
      sudo: Array.isArray(sudo) ? sudo.length > 0 : typeof sudo === 'string' && sudo !== '',
    },
  ];
}

function plainUser(name: string): CloudUser {
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(name)) throw new Error(`cloud-config: bad user name ${name}`);
  return { name, shell: '/bin/sh', gecos: '', authorizedKeys: [], sudo: false };
}

function fileOf(entry: unknown): CloudFile {
  const file = entry as Json;
  const filePath = String(file.path);
  if (!filePath.startsWith('/') || filePath.split('/').includes('..')) {
    throw new Error(`cloud-config: write_files path must be absolute: ${filePath}`);
  }
  const text = typeof file.content === 'string' ? file.content : '';
  const encoding = typeof file.encoding === 'string' ? file.encoding : 'text/plain';
  const base64 = ['b64', 'base64'].includes(encoding);
  if (!base64 && encoding !== 'text/plain') throw new Error(`cloud-config: encoding ${encoding} not handled`);
  return {
    path: filePath,
    content: Buffer.from(text, base64 ? 'base64' : 'utf8'),
    mode: typeof file.permissions === 'string' ? Number.parseInt(file.permissions, 8) : 0o644,
    owner: typeof file.owner === 'string' ? file.owner : null,
    defer: file.defer === true,
  };
}

function asList(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}
