/**
 * Renders scripts/cloud-init/node.yaml into the custom data of a cluster's scale set. Pure: the
 * caller reads the template (readCloudInitTemplate) and base64-encodes the result.
 *
 * Safety of the YAML rests on two rules: every input is validated strictly here, and every
 * value reaches the template JSON-quoted (JSON strings and arrays are valid YAML), so no input
 * can add a key, a list item or a line, whatever it contains.
 */
import fs from 'node:fs';
import { MpiboxError } from '../../domain/errors.ts';
import { parsePublicKey } from '../../domain/ssh-key.ts';

/** What differs between clusters; everything else is in the template. */
export interface CloudInitInput {
  /** The bot's login (`AZURE_ADMIN_USERNAME`): the bot's key only, passwordless sudo. */
  adminUsername: string;
  /** The team's login (`AZURE_JOB_USERNAME`): the team's keys and the cluster key, no sudo. */
  jobUsername: string;
  /** The bot's OpenSSH public key line, the only key of the admin user. */
  botPublicKey: string;
  /** The team's registered OpenSSH public key lines, for the job user; may be empty. */
  teamPublicKeys: readonly string[];
  /** This cluster's own ed25519 pair, so mpiexec reaches every node as the job user. */
  intraClusterKey: IntraClusterKey;
  /** The VNet's IPv4 range, e.g. `10.42.0.0/16`: the job user's ssh trusts hosts inside it. */
  vnetCidr: string;
}

/** An unencrypted ed25519 key pair, as `ssh-keygen -t ed25519 -N ''` writes it. */
export interface IntraClusterKey {
  /** The `-----BEGIN OPENSSH PRIVATE KEY-----` file; the only private key in the custom data. */
  privateKey: string;
  /** Its `ssh-ed25519 AAAA… [comment]` line. */
  publicKey: string;
}

/**
 * Azure accepts at most 65,535 bytes of custom data; whether it counts them before or after
 * base64 is not spelled out the same way everywhere, so the base64 form must fit.
 */
export const MAX_CUSTOM_DATA_BASE64_CHARS = 65_535;

/** The template, next to the other scripts of the repository. */
export const CLOUD_INIT_TEMPLATE_PATH = new URL('../../../scripts/cloud-init/node.yaml', import.meta.url);

/**
 * User names Azure refuses for a VM's admin (its published list), plus the accounts and
 * groups an Ubuntu HPC node already has or gets from the NFS packages.
 */
export const RESERVED_USERNAMES: ReadonlySet<string> = new Set([
  ...['1', '123', 'a', 'actuser', 'adm', 'admin', 'admin1', 'admin2', 'administrator', 'aspnet'],
  ...['backup', 'console', 'david', 'guest', 'john', 'owner', 'root', 'server', 'sql', 'support'],
  ...['support_388945a0', 'sys', 'test', 'test1', 'test2', 'test3', 'user', 'user1', 'user2'],
  ...['user3', 'user4', 'user5', '_apt', '_rpc', 'bin', 'daemon', 'games', 'gnats', 'irc', 'list'],
  ...['landscape', 'lp', 'lxd', 'mail', 'man', 'messagebus', 'news', 'nobody', 'nogroup'],
  ...['pollinate', 'proxy', 'rdma', 'render', 'sshd', 'staff', 'statd', 'sudo', 'sync', 'syslog'],
  ...['tcpdump', 'tss', 'ubuntu', 'users', 'uucp', 'uuidd', 'video', 'www-data'],
]);

/** Reads the template; the one I/O step, kept apart from the pure renderer. */
export function readCloudInitTemplate(file: URL | string = CLOUD_INIT_TEMPLATE_PATH): string {
  return fs.readFileSync(file, 'utf8');
}

/** The `#cloud-config` document for `input`; throws MpiboxError('bad-input') on bad input. */
export function renderCloudInit(template: string, input: CloudInitInput): string {
  const adminUsername = checkUsername(input.adminUsername, 'adminUsername');
  const jobUsername = checkUsername(input.jobUsername, 'jobUsername');
  if (adminUsername === jobUsername) throw badInput('adminUsername and jobUsername must differ');
  const botKey = checkPublicKey(input.botPublicKey, 'botPublicKey');
  const teamKeys = dedupe(input.teamPublicKeys.map((key, i) => checkPublicKey(key, `teamPublicKeys[${i}]`)));
  const intra = checkIntraClusterKey(input.intraClusterKey);
  const hostPatterns = sshHostPatterns(input.vnetCidr);
  const home = `/home/${jobUsername}`;

  const values: Record<string, string | readonly string[]> = {
    adminUsername,
    jobUsername,
    jobOwner: `${jobUsername}:${jobUsername}`,
    adminAuthorizedKeys: [botKey],
    jobAuthorizedKeys: dedupe([...teamKeys, intra.publicKey]),
    jobUserFile: `${jobUsername}\n`,
    intraClusterPublicKeyFile: `${intra.publicKey}\n`,
    intraClusterPrivateKey: intra.privateKey,
    jobPrivateKeyPath: `${home}/.ssh/id_ed25519`,
    jobPublicKeyPath: `${home}/.ssh/id_ed25519.pub`,
    jobSshConfigPath: `${home}/.ssh/config`,
    jobSharedDir: `${home}/shared`,
    jobSshConfig: sshConfig(input.vnetCidr, hostPatterns),
  };
  const rendered = template.replace(/__([A-Za-z]+)__/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new MpiboxError('internal', `cloud-init template: unknown __${name}__`);
    return JSON.stringify(value);
  });
  if (!rendered.startsWith('#cloud-config\n')) {
    throw new MpiboxError('internal', 'cloud-init template must start with #cloud-config');
  }
  const base64Chars = 4 * Math.ceil(Buffer.byteLength(rendered) / 3);
  if (base64Chars > MAX_CUSTOM_DATA_BASE64_CHARS) {
    throw badInput(
      `the cloud-init custom data would be ${base64Chars} base64 characters, over Azure's limit`,
      {
        base64Chars,
        limit: MAX_CUSTOM_DATA_BASE64_CHARS,
        teamKeys: teamKeys.length,
      },
    );
  }
  return rendered;
}

function checkUsername(name: string, field: string): string {
  // Lower case, as useradd's default NAME_REGEX; 32 characters, as utmp holds.
  if (typeof name !== 'string' || !/^[a-z_][a-z0-9_-]{0,31}$/.test(name)) {
    throw badInput(`${field} must be 1-32 characters of a-z, 0-9, _ and -, not starting with a digit or -`);
  }
  if (RESERVED_USERNAMES.has(name) || name.startsWith('systemd-')) {
    throw badInput(`${field} "${name}" is reserved (by Azure or the node's own accounts)`);
  }
  return name;
}

/** The normalised authorized_keys line of one single-line public key. */
function checkPublicKey(text: string, field: string): string {
  if (typeof text !== 'string' || /[\r\n]/.test(text)) throw badInput(`${field} must be a single line`);
  const parsed = parsePublicKey(text);
  if (!parsed.ok) throw badInput(`${field} is not an accepted OpenSSH public key (${parsed.reason})`);
  return parsed.key.authorizedKeysLine;
}

function dedupe(lines: readonly string[]): string[] {
  const seen = new Set<string>();
  return lines.filter((line) => {
    const blob = line.split(' ')[1]!;
    if (seen.has(blob)) return false;
    seen.add(blob);
    return true;
  });
}

const OPENSSH_PRIVATE_KEY =
  /^-----BEGIN OPENSSH PRIVATE KEY-----\n((?:[A-Za-z0-9+/=]{1,80}\n){1,100})-----END OPENSSH PRIVATE KEY-----\n?$/;

/** Checks the pair is an unencrypted ed25519 OpenSSH key whose public half is `publicKey`. */
function checkIntraClusterKey(key: IntraClusterKey): IntraClusterKey {
  const publicKey = checkPublicKey(key.publicKey, 'intraClusterKey.publicKey');
  if (!publicKey.startsWith('ssh-ed25519 ')) throw badInput('intraClusterKey must be an ed25519 key');
  const match = typeof key.privateKey === 'string' ? OPENSSH_PRIVATE_KEY.exec(key.privateKey) : null;
  if (!match) throw badInput('intraClusterKey.privateKey must be one OpenSSH private key file');
  const embedded = publicBlobOfPrivateKey(Buffer.from(match[1]!.replace(/\n/g, ''), 'base64'));
  if (!embedded?.equals(Buffer.from(publicKey.split(' ')[1]!, 'base64'))) {
    throw badInput('intraClusterKey.privateKey is encrypted, malformed, or not the pair of its publicKey');
  }
  return { privateKey: `${match[0].trimEnd()}\n`, publicKey };
}

/**
 * The public key blob inside an unencrypted openssh-key-v1 file (PROTOCOL.key: magic, cipher,
 * kdf, kdf options, key count, then the public keys in the clear); null if it is not one.
 */
function publicBlobOfPrivateKey(bytes: Buffer): Buffer | null {
  const magic = Buffer.from('openssh-key-v1\0', 'latin1');
  if (!bytes.subarray(0, magic.length).equals(magic)) return null;
  let offset = magic.length;
  const field = (): Buffer | null => {
    if (offset + 4 > bytes.length) return null;
    const length = bytes.readUInt32BE(offset);
    if (length > bytes.length - offset - 4) return null;
    offset += 4 + length;
    return bytes.subarray(offset - length, offset);
  };
  const cipher = field()?.toString('latin1');
  const kdf = field()?.toString('latin1');
  if (cipher !== 'none' || kdf !== 'none' || field() === null) return null;
  if (offset + 4 > bytes.length || bytes.readUInt32BE(offset) !== 1) return null;
  offset += 4;
  return field();
}

/**
 * ssh_config Host patterns covering exactly `cidr` (ssh matches names, not ranges): one
 * wildcard per value of the first partly-fixed octet, so at most 128.
 */
function sshHostPatterns(cidr: string): string[] {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const octets = match ? match.slice(1, 5).map(Number) : [];
  const prefix = match ? Number(match[5]) : NaN;
  if (
    !match ||
    octets.some((o, i) => o > 255 || String(o) !== match[i + 1]) ||
    !(prefix >= 8 && prefix <= 29)
  ) {
    throw badInput('vnetCidr must be an IPv4 range such as 10.42.0.0/16, with a prefix of /8 to /29');
  }
  const address = octets.reduce((sum, o) => sum * 256 + o, 0);
  if (address % 2 ** (32 - prefix) !== 0) throw badInput(`vnetCidr ${cidr} has host bits set`);
  const fixed = Math.floor(prefix / 8);
  const count = 2 ** ((8 - (prefix % 8)) % 8);
  const head = octets.slice(0, fixed + (count === 1 ? 0 : 1));
  const tail = head.length < 4 ? '.*' : '';
  return Array.from({ length: count }, (_, i) => {
    const parts = count === 1 ? head : [...head.slice(0, -1), head.at(-1)! + i];
    return parts.join('.') + tail;
  });
}

function sshConfig(cidr: string, patterns: readonly string[]): string {
  return [
    `# mpiexec between the nodes of this cluster (VNet ${cidr}), as the job user, without prompts.`,
    '# Host keys are not pinned: Azure hands a shrunk-then-grown scale set the same private IPs',
    '# with new host keys, and only nodes of this cluster are in the VNet.',
    `Host ${patterns.join(' ')}`,
    '  IdentityFile ~/.ssh/id_ed25519',
    '  IdentitiesOnly yes',
    '  BatchMode yes',
    '  StrictHostKeyChecking no',
    '  UserKnownHostsFile /dev/null',
    '  LogLevel ERROR',
    '',
  ].join('\n');
}

function badInput(message: string, fields: Record<string, string | number | boolean> = {}): MpiboxError {
  return new MpiboxError('bad-input', `cloud-init: ${message}`, fields);
}
