/*
 * Over 300 lines on purpose: the rendered document and the helper scripts inside it are one
 * artefact (the custom data), and the script tests run what the renderer produced.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { makeTempDir } from '../../../test/support/local-fixtures.ts';
import { isPrivateKeyMaterial } from '../../domain/ssh-key.ts';
import {
  type CloudInitInput,
  MAX_CUSTOM_DATA_BASE64_CHARS,
  readCloudInitTemplate,
  renderCloudInit,
} from './cloud-init.ts';

interface WriteFile {
  path: string;
  content: string;
  owner?: string;
  permissions?: string;
  defer?: boolean;
}
interface User {
  name: string;
  sudo?: string;
  groups?: unknown;
  ssh_authorized_keys: string[];
  [key: string]: unknown;
}
interface Document {
  users: User[];
  write_files: WriteFile[];
  packages: string[];
  runcmd: string[][];
}

const template = readCloudInitTemplate();
let dir = '';
let base: CloudInitInput;
let otherPair: { privateKey: string; publicKey: string };

function keyPair(name: string, extra: string[] = []): { privateKey: string; publicKey: string } {
  const file = path.join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file, ...extra]);
  return {
    privateKey: fs.readFileSync(file, 'utf8'),
    publicKey: fs.readFileSync(`${file}.pub`, 'utf8').trim(),
  };
}

function wire(...fields: Buffer[]): Buffer {
  return Buffer.concat(fields.flatMap((f) => [Buffer.from([0, 0, f.length >> 8, f.length & 255]), f]));
}

/** A well-formed public key line; its private half exists nowhere. */
function teamKey(i: number, type: 'ed25519' | 'rsa4096' = 'ed25519'): string {
  if (type === 'ed25519') {
    return `ssh-ed25519 ${wire(Buffer.from('ssh-ed25519'), randomBytes(32)).toString('base64')} user${i}@laptop`;
  }
  const modulus = randomBytes(512);
  modulus[0]! |= 0x80;
  const blob = wire(
    Buffer.from('ssh-rsa'),
    Buffer.from([1, 0, 1]),
    Buffer.concat([Buffer.from([0]), modulus]),
  );
  return `ssh-rsa ${blob.toString('base64')} user${i}@laptop`;
}

function render(overrides: Partial<CloudInitInput> = {}): string {
  return renderCloudInit(template, { ...base, ...overrides });
}

function doc(rendered: string): Document {
  return parse(rendered) as Document;
}

function file(d: Document, filePath: string): WriteFile {
  const found = d.write_files.find((f) => f.path === filePath);
  if (!found) throw new Error(`no write_files entry for ${filePath}`);
  return found;
}

function cloudInitSchema(rendered: string): { status: number | null; output: string } {
  const target = path.join(dir, `custom-data-${randomBytes(4).toString('hex')}.yaml`);
  fs.writeFileSync(target, rendered);
  const result = spawnSync('cloud-init', ['schema', '--config-file', target], { encoding: 'utf8' });
  if (result.error) {
    throw new Error(
      `cannot run \`cloud-init schema\` (${result.error.message}): install the Debian package ` +
        '`cloud-init` (scripts/dev.sh install does)',
    );
  }
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

beforeAll(() => {
  dir = makeTempDir('mpibox-cloud-init');
  otherPair = keyPair('other');
  base = {
    adminUsername: 'mpiboxadmin',
    jobUsername: 'mpi',
    botPublicKey: keyPair('mpibox-bot').publicKey,
    teamPublicKeys: [keyPair('alice').publicKey, teamKey(2)],
    intraClusterKey: keyPair('intra'),
    vnetCidr: '10.42.0.0/20',
  };
});

describe('renderCloudInit', () => {
  it('passes `cloud-init schema`, with 50 team keys too', () => {
    const few = render();
    const many = render({ teamPublicKeys: Array.from({ length: 50 }, (_, i) => teamKey(i)) });

    for (const rendered of [few, many]) {
      const result = cloudInitSchema(rendered);
      expect(result.output).toContain('Valid cloud-config');
      expect(result.status).toBe(0);
    }
  });

  it('is checked by a `cloud-init schema` that does refuse a broken document', () => {
    const broken = render().replace("permissions: '0600'", 'permissions: 600');

    const result = cloudInitSchema(broken);

    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/permissions/);
  });

  it('makes exactly the admin user (bot key, sudo) and the job user (team and cluster keys, no sudo)', () => {
    const d = doc(render({ teamPublicKeys: [...base.teamPublicKeys, base.teamPublicKeys[0]!] }));

    expect(d.users.map((u) => u.name)).toEqual(['mpiboxadmin', 'mpi']);
    const [admin, job] = d.users as [User, User];
    expect(admin.ssh_authorized_keys).toEqual([base.botPublicKey]);
    expect(admin.sudo).toBe('ALL=(ALL) NOPASSWD:ALL');
    expect(job.ssh_authorized_keys).toEqual([...base.teamPublicKeys, base.intraClusterKey.publicKey]);
    expect(job).not.toHaveProperty('sudo');
    expect(job).not.toHaveProperty('groups');
    for (const user of d.users) {
      expect(user.lock_passwd).toBe(true);
      expect(Object.keys(user).filter((k) => /passw/.test(k) && k !== 'lock_passwd')).toEqual([]);
    }
    expect(d.write_files.map((f) => f.path).filter((p) => p.includes('sudoers'))).toEqual([]);
  });

  it('holds no private key but the intra-cluster one, and no other secret', () => {
    const rendered = render({ teamPublicKeys: Array.from({ length: 50 }, (_, i) => teamKey(i)) });
    const d = doc(rendered);

    const privateKey = file(d, '/home/mpi/.ssh/id_ed25519');
    expect(privateKey.content).toBe(base.intraClusterKey.privateKey);
    expect(privateKey).toMatchObject({ owner: 'mpi:mpi', permissions: '0600', defer: true });
    expect(rendered.match(/PRIVATE KEY/g)).toHaveLength(2); // its BEGIN and END lines
    const others = d.write_files.filter((f) => f !== privateKey);
    expect(others.filter((f) => isPrivateKeyMaterial(f.content)).map((f) => f.path)).toEqual([]);
    const withoutIt = rendered.replace(JSON.stringify(privateKey.content), '""');
    expect(isPrivateKeyMaterial(withoutIt)).toBe(false);
    expect(withoutIt).not.toMatch(/xox[abprs]-|sig=|https?:\/\//);
  });

  it('stays under the custom-data limit with 50 RSA-4096 team keys, and refuses to go over it', () => {
    const keys = Array.from({ length: 100 }, (_, i) => teamKey(i, 'rsa4096'));

    const fifty = render({ teamPublicKeys: keys.slice(0, 50) });

    expect(Buffer.from(fifty).toString('base64').length).toBeLessThanOrEqual(MAX_CUSTOM_DATA_BASE64_CHARS);
    expect(() => render({ teamPublicKeys: keys })).toThrow(expect.objectContaining({ code: 'bad-input' }));
  });

  it('installs memlock unlimited, the NFS packages, ~/shared and the helpers', () => {
    const d = doc(render());

    expect(file(d, '/etc/security/limits.d/90-mpibox-memlock.conf').content).toMatch(
      /^\* +soft memlock unlimited\n\* +hard memlock unlimited\n/,
    );
    expect(d.packages).toEqual(expect.arrayContaining(['nfs-kernel-server', 'nfs-common']));
    expect(d.runcmd).toContainEqual([
      'install',
      '-d',
      '-o',
      'mpi',
      '-g',
      'mpi',
      '-m',
      '0755',
      '/home/mpi/shared',
    ]);
    for (const helper of ['nfs-server', 'nfs-client', 'set-keys', 'write-machinefile']) {
      expect(file(d, `/usr/local/sbin/mpibox-${helper}`).permissions).toBe('0755');
    }
  });

  it('gives the job user an ssh config that trusts the VNet without prompts, and nothing else', () => {
    for (const [cidr, inside, outside] of [
      ['10.42.0.0/20', ['10.42.0.4', '10.42.15.200'], ['10.42.16.4', '10.43.0.4', '192.168.0.1']],
      ['10.0.0.0/8', ['10.255.0.1'], ['11.0.0.1']],
      ['192.168.7.8/29', ['192.168.7.8', '192.168.7.15'], ['192.168.7.16', '192.168.7.7']],
    ] as const) {
      const config = path.join(dir, 'ssh_config');
      fs.writeFileSync(config, file(doc(render({ vnetCidr: cidr })), '/home/mpi/.ssh/config').content);

      const options = (host: string): string =>
        execFileSync('ssh', ['-G', '-F', config, host], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        });

      for (const host of inside) {
        expect(options(host)).toMatch(/^batchmode yes$/m);
        expect(options(host)).toMatch(/^stricthostkeychecking false$/m);
        expect(options(host)).toMatch(/^identityfile ~\/\.ssh\/id_ed25519$/m);
      }
      for (const host of outside) {
        expect(options(host)).toMatch(/^batchmode no$/m);
        expect(options(host)).not.toMatch(/^stricthostkeychecking false$/m);
      }
    }
  });

  it('keeps harmless comment characters as data', () => {
    const key = `${base.botPublicKey.split(' ').slice(0, 2).join(' ')} a:b=c@d+e`;

    const d = doc(render({ botPublicKey: key }));

    expect(d.users[0]!.ssh_authorized_keys).toEqual([key]);
  });

  const other = (): string => teamKey(9);
  const hostile: [string, () => Partial<CloudInitInput>][] = [
    ['a key with a newline', () => ({ teamPublicKeys: [`${other()}\nssh-ed25519 AAAA evil`] })],
    ['a key with a trailing newline', () => ({ botPublicKey: `${base.botPublicKey}\n` })],
    ['a YAML-breaking comment', () => ({ teamPublicKeys: [`${other()}", "ssh-rsa AAAA`] })],
    ['a comment with a colon-space', () => ({ teamPublicKeys: [`${other()} x: y`] })],
    ['a key with authorized_keys options', () => ({ teamPublicKeys: [`command="sh" ${other()}`] })],
    ['a private key as a team key', () => ({ teamPublicKeys: [base.intraClusterKey.privateKey] })],
    ['a DSA key', () => ({ teamPublicKeys: ['ssh-dss AAAAB3NzaC1kc3MAAACBAP'] })],
    ['the user name root', () => ({ jobUsername: 'root' })],
    ['the Azure-reserved admin name', () => ({ adminUsername: 'admin' })],
    ['a systemd account', () => ({ jobUsername: 'systemd-network' })],
    ['a user name with a newline', () => ({ jobUsername: 'mpi\nroot' })],
    ['a user name with a quote', () => ({ jobUsername: 'mpi"' })],
    ['an upper-case user name', () => ({ adminUsername: 'Admin2' })],
    ['a user name starting with -', () => ({ jobUsername: '-mpi' })],
    ['a 33-character user name', () => ({ jobUsername: 'a'.repeat(33) })],
    ['the same admin and job user', () => ({ jobUsername: 'mpiboxadmin' })],
    ['a private key of another pair', () => ({ intraClusterKey: { ...base.intraClusterKey, ...pick() } })],
    ['an encrypted private key', () => ({ intraClusterKey: keyPair(`enc${Date.now()}`, ['-N', 'secret']) })],
    [
      'an RSA cluster key',
      () => ({ intraClusterKey: { ...base.intraClusterKey, publicKey: teamKey(1, 'rsa4096') } }),
    ],
    [
      'text after the private key',
      () => ({
        intraClusterKey: { ...base.intraClusterKey, privateKey: `${base.intraClusterKey.privateKey}x: 1\n` },
      }),
    ],
    ['a prefix over /29', () => ({ vnetCidr: '10.42.0.0/30' })],
    ['a prefix under /8', () => ({ vnetCidr: '10.0.0.0/7' })],
    ['host bits set', () => ({ vnetCidr: '10.42.0.1/16' })],
    ['a leading zero', () => ({ vnetCidr: '10.042.0.0/16' })],
    ['a CIDR with a newline', () => ({ vnetCidr: '10.42.0.0/16\n' })],
    ['an octet over 255', () => ({ vnetCidr: '10.256.0.0/16' })],
  ];
  function pick(): { privateKey: string } {
    return { privateKey: otherPair.privateKey };
  }
  it.each(hostile)('refuses %s', (_, overrides) => {
    expect(() => render(overrides())).toThrow(expect.objectContaining({ code: 'bad-input' }));
  });

  it('refuses a template with a placeholder it does not know', () => {
    expect(() => renderCloudInit(`${template}\n# __secret__\n`, base)).toThrow(
      expect.objectContaining({ code: 'internal' }),
    );
  });
});

describe('cloud-init helper scripts', () => {
  const me = os.userInfo().username;
  let root = '';
  let home = '';
  let files: WriteFile[] = [];

  /** Runs a helper inside `root`, with logging stand-ins for the system tools. */
  function run(
    helper: string,
    args: string[] = [],
    input = '',
    env: Record<string, string> = {},
  ): { status: number | null; stderr: string } {
    const result = spawnSync('sh', [path.join(root, 'usr/local/sbin', helper), ...args], {
      input,
      encoding: 'utf8',
      env: {
        ...process.env,
        ...env,
        MPIBOX_ROOT: root,
        PATH: `${path.join(root, 'stubs')}:${process.env.PATH}`,
      },
    });
    return { status: result.status, stderr: result.stderr };
  }
  const calls = (): string[] =>
    fs.readFileSync(path.join(root, 'calls.log'), 'utf8').split('\n').filter(Boolean);
  const read = (relative: string): string => fs.readFileSync(path.join(root, relative), 'utf8');

  beforeAll(() => {
    root = makeTempDir('mpibox-cloud-init-root');
    home = path.join(root, 'home', me);
    files = doc(render()).write_files.filter((f) => !f.path.startsWith('/home/'));
    for (const f of files) {
      fs.mkdirSync(path.dirname(path.join(root, f.path)), { recursive: true });
      fs.writeFileSync(path.join(root, f.path), f.content);
    }
    fs.writeFileSync(path.join(root, 'etc/mpibox/job-user'), `${me}\n`);
    fs.mkdirSync(home, { recursive: true });
    fs.mkdirSync(path.join(root, 'stubs'));
    for (const tool of ['systemctl', 'exportfs', 'mount', 'umount', 'findmnt', 'mountpoint']) {
      // STUB_SOURCE: what is mounted on ~/shared (nothing when unset).
      const act = { mountpoint: '[ -n "${STUB_SOURCE:-}" ]', findmnt: 'echo "$STUB_SOURCE"' }[tool] ?? 'true';
      const stub = `#!/bin/sh\necho "${tool} $*" >>"$MPIBOX_ROOT/calls.log"\n${act}\n`;
      fs.writeFileSync(path.join(root, 'stubs', tool), stub, { mode: 0o755 });
    }
    fs.writeFileSync(path.join(root, 'calls.log'), '');
  });

  it('are valid sh', () => {
    const scripts = files.filter((f) => f.path.startsWith('/usr/local/'));

    expect(scripts.map((f) => path.basename(f.path)).sort()).toEqual([
      'common.sh',
      'mpibox-nfs-client',
      'mpibox-nfs-server',
      'mpibox-set-keys',
      'mpibox-write-machinefile',
    ]);
    for (const f of scripts) {
      const result = spawnSync('sh', ['-n', path.join(root, f.path)], { encoding: 'utf8' });
      expect(result.stderr, f.path).toBe('');
      expect(result.status, f.path).toBe(0);
    }
  });

  it('mpibox-write-machinefile replaces the machinefile, and refuses anything but hosts', () => {
    const good = '10.42.0.4 slots=120\n10.42.0.5 slots=120\n';

    expect(run('mpibox-write-machinefile', [], good).status).toBe(0);
    expect(run('mpibox-write-machinefile', [], `\n${good}`).status).toBe(0);

    expect(fs.readFileSync(path.join(home, 'machinefile'), 'utf8')).toBe(good);
    expect(fs.statSync(path.join(home, 'machinefile')).mode & 0o777).toBe(0o644);
    for (const bad of [
      '',
      '10.42.0.4 slots=1; rm -rf /\n',
      '10.42.0.4 slots=0\n',
      '$(reboot)\n',
      '10.42.0.4\r\n',
    ]) {
      expect(run('mpibox-write-machinefile', [], bad).status, JSON.stringify(bad)).toBe(2);
    }
    expect(run('mpibox-write-machinefile', ['extra'], good).status).toBe(2);
    expect(fs.readFileSync(path.join(home, 'machinefile'), 'utf8')).toBe(good);
    expect(fs.readdirSync(home).filter((n) => n.startsWith('.machinefile'))).toEqual([]);
  });

  it('mpibox-set-keys replaces authorized_keys, keeps the cluster key, and refuses a bad line', () => {
    const [alice, bob] = [teamKey(1), teamKey(2, 'rsa4096')];
    const keysFile = path.join(home, '.ssh/authorized_keys');

    expect(run('mpibox-set-keys', [], `${alice}\n\n${bob}\n${alice}\n`).status).toBe(0);
    expect(fs.readFileSync(keysFile, 'utf8')).toBe(`${alice}\n${bob}\n${base.intraClusterKey.publicKey}\n`);
    expect(fs.statSync(keysFile).mode & 0o777).toBe(0o600);
    expect(run('mpibox-set-keys', [], '').status).toBe(0);
    expect(fs.readFileSync(keysFile, 'utf8')).toBe(`${base.intraClusterKey.publicKey}\n`);

    for (const bad of [`command="sh" ${alice}\n`, `${alice} two words\n`, base.intraClusterKey.privateKey]) {
      expect(run('mpibox-set-keys', [], `${bob}\n${bad}`).status).toBe(2);
    }
    expect(run('mpibox-set-keys', ['extra'], `${bob}\n`).status).toBe(2);
    expect(fs.readFileSync(keysFile, 'utf8')).toBe(`${base.intraClusterKey.publicKey}\n`);
  });

  it('mpibox-nfs-server exports ~/shared to the subnet, idempotently, and refuses a bad CIDR', () => {
    fs.writeFileSync(path.join(root, 'calls.log'), '');
    for (const bad of [[], ['10.42.0.0/33'], ['10.42.0.0/16; reboot'], ['10.42.0.0/16\n*'], ['a', 'b']]) {
      expect(run('mpibox-nfs-server', bad).status, JSON.stringify(bad)).toBe(2);
    }
    expect(calls()).toEqual([]);

    expect(run('mpibox-nfs-server', ['10.42.0.0/20']).status).toBe(0);
    expect(run('mpibox-nfs-server', ['10.42.0.0/20']).status).toBe(0);

    expect(read('etc/exports.d/mpibox.exports')).toBe(
      `/home/${me}/shared 10.42.0.0/20(rw,sync,no_subtree_check)\n`,
    );
    expect(fs.statSync(path.join(home, 'shared')).isDirectory()).toBe(true);
    expect(calls()).toEqual(Array(2).fill(['systemctl enable --now nfs-server', 'exportfs -ra']).flat());
  });

  it('mpibox-nfs-client mounts node 0 persistently with one fstab line, and refuses a bad address', () => {
    fs.writeFileSync(path.join(root, 'etc/fstab'), 'UUID=abc / ext4 defaults 0 1\n');
    fs.writeFileSync(path.join(root, 'calls.log'), '');
    for (const bad of [[], ['10.42.0.256'], ['10.42.0.4 -o remount'], ['node0'], ['10.42.0.4\n']]) {
      expect(run('mpibox-nfs-client', bad).status, JSON.stringify(bad)).toBe(2);
    }
    expect(calls()).toEqual([]);

    expect(run('mpibox-nfs-client', ['10.42.0.4']).status).toBe(0);
    expect(run('mpibox-nfs-client', ['10.42.0.4']).status).toBe(0);
    expect(run('mpibox-nfs-client', ['10.42.0.5']).status).toBe(0);

    const target = `/home/${me}/shared`;
    expect(read('etc/fstab')).toBe(
      `UUID=abc / ext4 defaults 0 1\n10.42.0.5:${target} ${target} nfs rw,hard,_netdev,nofail 0 0\n`,
    );
    const mounts = [`mountpoint -q ${target}`, `mount ${target}`];
    expect(calls()).toEqual([
      'systemctl daemon-reload',
      ...mounts,
      ...mounts,
      'systemctl daemon-reload',
      ...mounts,
    ]);
  });

  it('mpibox-nfs-client leaves the right mount alone and replaces a wrong one', () => {
    const target = `/home/${me}/shared`;
    fs.writeFileSync(path.join(root, 'calls.log'), '');

    expect(run('mpibox-nfs-client', ['10.42.0.5'], '', { STUB_SOURCE: `10.42.0.5:${target}` }).status).toBe(
      0,
    );
    expect(run('mpibox-nfs-client', ['10.42.0.5'], '', { STUB_SOURCE: `10.42.0.9:${target}` }).status).toBe(
      0,
    );

    const check = [`mountpoint -q ${target}`, `findmnt -n -o SOURCE --mountpoint ${target}`];
    expect(calls()).toEqual([...check, ...check, `umount ${target}`, `mount ${target}`]);
  });
});
