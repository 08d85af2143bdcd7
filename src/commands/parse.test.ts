import { describe, expect, it } from 'vitest';
import { parseCommand, redactCommandText } from './parse.ts';
import type { Command } from './types.ts';

const LIMITS = { maxNodesPerCluster: 16 };
// Real keys from ssh-keygen 9.2; fingerprints as `ssh-keygen -lf` printed them.
const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICEJsxuXkPEl8a41sdmarzI8DuDsZLMoHYC0vSksz8fv dev@mpibox';
const ED25519_FINGERPRINT = 'SHA256:D8lJjKwbs7pwY9g/egEBeN6q2bZTmL9Pip3ZO1dizHw';
const ECDSA =
  'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBKb8OCEPWJCjD9Wad49TFlGUoJay4dQSvucDuhE3Yhf3uxQSbWb85C9F0sgjbEGsIocKZuI3OrQfBl3aDxNAENA=';
const ECDSA_FINGERPRINT = 'SHA256:uPZMWqZTo0/1iZSm6jyXz0zlSvMI5kkn/BKOGVEi91c';
const RSA_1024 =
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC0veUY8ZxxC/1pAUYmzVjqrftuuGNsvSJoCiNe7Pf6x0IVlRr+U3klADb0OpI6r09Bhjl9GCm+AgcPRQqtg+cthw4u2gEMMdN/nTqZSAuv6doJk8hZRfs878h+kX4SA5tMKyipX4KP1LOa4EQLxiGEXoC4AUzPAMv1FTv/l4/heQ== dev@mpibox';
const ED25519_BASE64 = ED25519.split(' ')[1]!;
// Armour is split so secret scanners do not flag this file; the bodies are fake.
const BEGIN = (kind: string) => `-----BEGIN ${kind}` + ' PRIVATE KEY-----';
const END = (kind: string) => `-----END ${kind}` + ' PRIVATE KEY-----';
const OPENSSH_PRIVATE = `${BEGIN('OPENSSH')}\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB\n${END('OPENSSH')}\n`;
const PEM_RSA_PRIVATE = `${BEGIN('RSA')}\nMIIEowIBAAKCAQEAw0fakefakefakefakefakefakefake\n${END('RSA')}`;
const PUTTY_PRIVATE =
  'PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: me\nPublic-Lines: 2\nAAAA\nPrivate-Lines: 1\nAAAA\nPrivate-MAC: 00';

interface BadInput {
  name: string;
  input: string;
  says: RegExp;
  privateKey?: boolean;
}

const BAD_INPUTS: BadInput[] = [
  // unknown verbs
  { name: 'an unknown verb', input: 'launch 3', says: /Unknown command `launch`.*Commands: up, resize/ },
  { name: 'a typo of status', input: 'stauts', says: /Did you mean `status`\?/ },
  { name: 'an uppercase verb', input: 'UP 3', says: /Unknown command `UP`\. Did you mean `up`\?/ },
  { name: 'a verb with a semicolon', input: 'up;reboot', says: /Unknown command `up;reboot`/ },
  {
    name: 'keep with a name for a duration',
    input: 'keep alpha',
    says: /^Duration `alpha` is not a duration: use `30m`, `2h`, `1h30m`, `1d` or `tonight`\.$/,
  },
  {
    name: 'keep with a spaced duration',
    input: 'keep alpha 2 hours',
    says: /^Unexpected extra argument `hours` for `keep`\.$/,
  },
  {
    name: 'cost of a bad period',
    input: 'cost year',
    says: /Period `year` is not a period: use `today`, `week` or `month`/,
  },
  { name: 'a bare `--`', input: '-- ls', says: /Unknown command `--`/ },
  {
    name: 'an unknown key subcommand',
    input: 'key delete SHA256:x',
    says: /Unknown `key` command `delete`.*add, list, rm/,
  },
  { name: 'key without a subcommand', input: 'key', says: /`key` needs one of: add, list, rm/ },
  { name: 'help on an unknown topic', input: 'help launch', says: /no help for `launch`/ },
  { name: 'help with a typo', input: 'help reszie', says: /Did you mean `resize`\?/ },
  // node counts
  { name: 'up without a count', input: 'up', says: /`up` needs a node count/ },
  { name: 'a zero count', input: 'up 0', says: /Node count `0` must be a whole number from 1 to 16/ },
  { name: 'a negative count', input: 'up -3', says: /Node count `-3` must be a whole number/ },
  { name: 'a count above the max', input: 'up 17', says: /`17` is more than the maximum of 16 nodes/ },
  { name: 'a huge count', input: 'up 99999999999999999999999', says: /maximum of 16 nodes/ },
  {
    name: 'a 400-digit count',
    input: `up ${'9'.repeat(400)} demo`,
    says: /^Node count `9{39}…` is more than the maximum of 16 nodes per cluster\.$/,
  },
  {
    name: 'a 400-digit count to resize',
    input: `resize demo 1${'0'.repeat(399)}`,
    says: /^Node count `10{38}…` is more than the maximum of 16 nodes per cluster\.$/,
  },
  {
    name: 'a 400-digit rank count',
    input: `run -n ${'7'.repeat(400)} -- hostname`,
    says: /^Rank count `7{39}…` must be a whole number from 1 to 4096\.$/,
  },
  {
    name: 'a count of zeros',
    input: 'up 000',
    says: /^Node count `000` must be a whole number from 1 to 16\.$/,
  },
  { name: 'a float count', input: 'up 2.5', says: /Node count `2\.5` must be a whole number/ },
  { name: 'a hex count', input: 'up 0x10', says: /Node count `0x10`/ },
  { name: 'an exponent count', input: 'up 1e1', says: /Node count `1e1`/ },
  { name: 'a plus-signed count', input: 'up +4', says: /Node count `\+4`/ },
  { name: 'a word count', input: 'up four', says: /Node count `four`/ },
  { name: 'Arabic-Indic digits', input: 'up ٤', says: /Node count `٤`/ },
  { name: 'fullwidth digits', input: 'up ４', says: /Node count `４`/ },
  {
    name: 'resize without a count',
    input: 'resize alpha',
    says: /Node count `alpha` must be a whole number/,
  },
  { name: 'resize above the max', input: 'resize alpha 40', says: /maximum of 16/ },
  {
    name: 'resize with the arguments swapped',
    input: 'resize 4 alpha',
    says: /Cluster name `4` is not valid/,
  },
  // shell metacharacters
  { name: 'a `;`', input: 'up 3 ; rm -rf /', says: /Unexpected `;`: .*not shell syntax/ },
  { name: 'a `$(…)`', input: 'up 3 $(reboot)', says: /Unexpected `\$` in `\$\(reboot\)`/ },
  { name: 'backticks', input: 'status `id`', says: /Unexpected `ˋ` in `ˋidˋ`/ },
  { name: 'a pipe', input: 'status alpha|sh', says: /Unexpected `\|` in `alpha\|sh`/ },
  { name: 'a `&&`', input: 'down alpha && reboot', says: /Unexpected `&` in `&&`/ },
  { name: 'a redirect', input: 'list > /etc/passwd', says: /Unexpected `›`/ },
  { name: 'a quoted name', input: 'status "alpha"', says: /Unexpected `"`/ },
  { name: 'a Slack mention', input: 'status <!channel>', says: /Unexpected `‹` in `‹!channel›`/ },
  // names
  {
    name: 'an uppercase name',
    input: 'up 3 Alpha',
    says: /Cluster name `Alpha` is not valid: names are a lowercase letter/,
  },
  { name: 'a one-letter name', input: 'status a', says: /Cluster name `a` is not valid/ },
  {
    name: 'a 32-character name',
    input: `status a${'b'.repeat(31)}`,
    says: /Cluster name `ab+` is not valid/,
  },
  { name: 'a name starting with a digit', input: 'status 1alpha', says: /Cluster name `1alpha`/ },
  {
    name: 'a name starting with a dash',
    input: 'status -alpha',
    says: /Unknown option `-alpha`.*takes no options/,
  },
  { name: 'a name with an underscore', input: 'down my_cluster', says: /Cluster name `my_cluster`/ },
  {
    name: 'a name with a Cyrillic homoglyph',
    input: 'status аlpha',
    says: /Cluster name `аlpha` is not valid/,
  },
  { name: 'an emoji name', input: 'up 2 🚀rocket', says: /Cluster name `🚀rocket`/ },
  { name: 'an accented name', input: 'status café', says: /Cluster name `café`/ },
  {
    name: 'a name with a zero-width space',
    input: 'status al\u200bpha',
    says: /invisible or control character \(U\+200B\)/,
  },
  { name: 'a bidi override', input: 'status \u202ealpha', says: /U\+202E/ },
  {
    name: 'a name with a soft hyphen',
    input: '/mpi up 2 de\u00admo',
    says: /^The command contains an invisible or control character \(U\+00AD\) in `de\\u00ADmo`; please retype it\.$/,
  },
  {
    name: 'a line ending in U+FEFF',
    input: '/mpi list\ufeff',
    says: /^The command contains an invisible or control character \(U\+FEFF\) in `list\\uFEFF`; please retype it\.$/,
  },
  {
    name: 'a line starting with U+FEFF',
    input: '\ufeff/mpi up 2 demo',
    says: /invisible or control character \(U\+FEFF\) in `\\uFEFF\/mpi`/,
  },
  {
    name: 'an invisible tag character',
    input: 'status alpha\u{e0041}',
    says: /\(U\+E0041\) in `alpha\\u\{E0041\}`/,
  },
  { name: 'a NUL byte', input: 'status alpha\u0000', says: /control character \(U\+0000\)/ },
  { name: 'an escape sequence', input: 'list \u001b[2J', says: /U\+001B/ },
  // flags and arguments
  {
    name: 'an unknown flag',
    input: 'up 3 --fast',
    says: /Unknown option `--fast`\. Options: `--size`, `--spot`/,
  },
  { name: 'an unknown short flag', input: 'down -f', says: /Unknown option `-f`\. Options: `--yes`/ },
  { name: 'a flag on a verb without options', input: 'list --all', says: /`list` takes no options/ },
  { name: 'a duplicate flag', input: 'up 3 --spot --spot', says: /Option `--spot` is given twice/ },
  { name: 'a duplicate flag spelt two ways', input: 'down --yes -y', says: /Option `--yes` is given twice/ },
  {
    name: 'a duplicate valued flag',
    input: 'up 3 --size A --size=B',
    says: /Option `--size` is given twice/,
  },
  {
    name: '`--size` without a value',
    input: 'up 3 --size',
    says: /Option `--size` needs a value: `--size SKU`/,
  },
  { name: '`--size` followed by a flag', input: 'up 3 --size --spot', says: /`--size` needs a value/ },
  { name: '`--size=` empty', input: 'up 3 --size=', says: /`--size` needs a value/ },
  {
    name: 'a bad size',
    input: 'up 3 --size Standard/D4',
    says: /Size `Standard\/D4` is not valid: a VM size/,
  },
  { name: 'a 65-character size', input: `up 3 --size ${'S'.repeat(65)}`, says: /Size `S+…` is not valid/ },
  { name: 'a value for a switch', input: 'up 3 --spot=yes', says: /Option `--spot` takes no value/ },
  {
    name: 'an extra argument to up',
    input: 'up 3 alpha beta',
    says: /Unexpected extra argument `beta` for `up`/,
  },
  {
    name: 'an extra argument to list',
    input: 'list everything',
    says: /extra argument `everything` for `list`/,
  },
  {
    name: 'an extra argument to key list',
    input: 'key list mine',
    says: /extra argument `mine` for `key list`/,
  },
  { name: 'an extra argument to status', input: 'status alpha beta', says: /extra argument `beta`/ },
  { name: 'an extra help word', input: 'help key add now', says: /extra argument `now` for `help`/ },
  { name: '`--` on a verb that takes none', input: 'up 3 -- hostname', says: /`up` does not take `--`/ },
  {
    name: 'a very long line',
    input: `status ${'a'.repeat(10_001)}`,
    says: /too long \(10008 characters; the limit is 10000\)/,
  },
  { name: 'a long token, truncated in the echo', input: `launch${'x'.repeat(200)}`, says: /`launchx{33}…`/ },
  // fingerprints
  { name: 'key rm without a fingerprint', input: 'key rm', says: /`key rm` needs a key fingerprint/ },
  { name: 'a short fingerprint', input: 'key rm SHA256:abc', says: /Fingerprint `SHA256:abc` is not valid/ },
  {
    name: 'an MD5 fingerprint',
    input: 'key rm MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48',
    says: /Fingerprint `MD5:/,
  },
  {
    name: 'a lowercase prefix',
    input: `key rm sha256:${ED25519_FINGERPRINT.slice(7)}`,
    says: /Fingerprint `sha256:/,
  },
  { name: 'a padded fingerprint', input: `key rm ${ED25519_FINGERPRINT}=`, says: /Fingerprint `SHA256:/ },
  {
    name: 'a fingerprint with an impossible last character',
    input: `key rm SHA256:${'A'.repeat(42)}B`,
    says: /is not valid/,
  },
  {
    name: 'two fingerprints',
    input: `key rm ${ED25519_FINGERPRINT} ${ECDSA_FINGERPRINT}`,
    says: /extra argument `SHA256:uPZ/,
  },
  // public keys
  { name: 'key add without a key', input: 'key add', says: /Paste the one line of your `\.pub` file/ },
  { name: 'an RSA 1024 key', input: `key add ${RSA_1024}`, says: /1024 bits; at least 2048 are required/ },
  { name: 'an ssh-dss key', input: 'key add ssh-dss AAAAB3NzaC1kc3MAAACBAP', says: /DSA.*too weak/ },
  {
    name: 'an unknown key type',
    input: 'key add ssh-foo AAAA',
    says: /Unsupported key type; use one of: ssh-ed25519/,
  },
  {
    name: 'a command= prefix',
    input: `key add command="/bin/sh" ${ED25519}`,
    says: /options .*are not allowed/,
  },
  { name: 'a from= prefix', input: `key add from="*" ${ED25519}`, says: /options .*are not allowed/ },
  { name: 'a truncated key', input: `key add ssh-ed25519 ${ED25519_BASE64.slice(0, 40)}`, says: /cut short/ },
  {
    name: 'a key with bad base64',
    input: `key add ssh-ed25519 ${ED25519_BASE64.replace('C3', '!!')}`,
    says: /not valid base64/,
  },
  {
    name: 'a key with unicode base64',
    input: `key add ssh-ed25519 ${ED25519_BASE64.replace('C3', 'Ç3')}`,
    says: /not valid base64/,
  },
  {
    name: 'a key of the wrong declared type',
    input: `key add ssh-rsa ${ED25519_BASE64}`,
    says: /different key type/,
  },
  {
    name: 'a key with an emoji comment',
    input: `key add ${ED25519}🔑`,
    says: /comment may only use letters/,
  },
  {
    name: 'a key with a spaced comment',
    input: `key add ${ED25519} and more`,
    says: /comment may only use letters/,
  },
  {
    name: 'a key with a control character',
    input: `key add ${ED25519}\u0007`,
    says: /control character \(U\+0007\)/,
  },
  { name: 'two keys on two lines', input: `key add ${ED25519}\n${ECDSA}`, says: /exactly one key/ },
  // private keys
  {
    name: 'an OpenSSH private key',
    input: `key add ${OPENSSH_PRIVATE}`,
    says: /PRIVATE key.*NOT stored/,
    privateKey: true,
  },
  {
    name: 'a PEM RSA private key',
    input: `key add ${PEM_RSA_PRIVATE}`,
    says: /NOT stored.*exposed/,
    privateKey: true,
  },
  {
    name: 'a PuTTY private key',
    input: `key add ${PUTTY_PRIVATE}`,
    says: /generate a new pair/,
    privateKey: true,
  },
  {
    name: 'only a private key header',
    input: `key add ${BEGIN('OPENSSH')}`,
    says: /paste the contents of the `\.pub`/,
    privateKey: true,
  },
  {
    name: 'only a private key body line',
    input: 'key add b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ',
    says: /NOT stored/,
    privateKey: true,
  },
  {
    name: 'a private key after another verb',
    input: `up 3 ${BEGIN('EC')}`,
    says: /NOT stored/,
    privateKey: true,
  },
];

describe('commands parseCommand rejects', () => {
  it('covers at least 50 bad inputs', () => {
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(50);
  });

  it.each(BAD_INPUTS)('$name', ({ input, says, privateKey = false }) => {
    const result = parseCommand(input, LIMITS);

    expect(result).toMatchObject({ ok: false, privateKey });
    if (result.ok) return;
    expect(result.message).toMatch(says);
    expect(result.message).not.toMatch(/\n\s+at /); // never a stack trace
    expect(result.message.length).toBeLessThan(400);
    expect(result.usage).toMatch(/^`\/mpi /);
  });

  it('never echoes private key material back', () => {
    const result = parseCommand(`key add ${OPENSSH_PRIVATE}`, LIMITS);

    expect(JSON.stringify(result)).not.toContain('b3BlbnNzaC1rZXktdjE');
  });

  it('gives the usage of the verb that failed', () => {
    const result = parseCommand('resize', LIMITS);

    expect(!result.ok && result.usage).toMatch(/^`\/mpi resize \[name\] <nodes>`/);
  });
});

describe('commands parseCommand accepts', () => {
  const key = (line: string, fingerprint: string, type: string, comment: string) => ({
    verb: 'key-add',
    key: expect.objectContaining({ type, bits: 256, fingerprint, comment, authorizedKeysLine: line }),
  });

  it.each<[string, Command | ReturnType<typeof key>]>([
    ['', { verb: 'help', topic: null }],
    ['   ', { verb: 'help', topic: null }],
    ['/mpi', { verb: 'help', topic: null }],
    ['up 4', { verb: 'up', nodes: 4, name: null, size: null, spot: false }],
    ['/mpi up 4 alpha', { verb: 'up', nodes: 4, name: 'alpha', size: null, spot: false }],
    [
      'up 16 alpha-2 --size Standard_D4s_v5 --spot',
      { verb: 'up', nodes: 16, name: 'alpha-2', size: 'Standard_D4s_v5', spot: true },
    ],
    [
      'up --spot --size=HB120rs_v3 2 beta',
      { verb: 'up', nodes: 2, name: 'beta', size: 'HB120rs_v3', spot: true },
    ],
    ['up 1 \u2014spot', { verb: 'up', nodes: 1, name: null, size: null, spot: true }],
    ['up 03', { verb: 'up', nodes: 3, name: null, size: null, spot: false }],
    ['  up\t2\n gamma  ', { verb: 'up', nodes: 2, name: 'gamma', size: null, spot: false }],
    ['resize 8', { verb: 'resize', name: null, nodes: 8 }],
    ['resize alpha 1', { verb: 'resize', name: 'alpha', nodes: 1 }],
    ['down', { verb: 'down', name: null, yes: false }],
    ['down alpha', { verb: 'down', name: 'alpha', yes: false }],
    ['down --yes alpha', { verb: 'down', name: 'alpha', yes: true }],
    ['down -y', { verb: 'down', name: null, yes: true }],
    ['status', { verb: 'status', name: null }],
    ['status a1', { verb: 'status', name: 'a1' }],
    ['list', { verb: 'list' }],
    ['key list', { verb: 'key-list' }],
    [`key rm ${ED25519_FINGERPRINT}`, { verb: 'key-rm', fingerprint: ED25519_FINGERPRINT }],
    [`key add ${ED25519}`, key(ED25519, ED25519_FINGERPRINT, 'ssh-ed25519', 'dev@mpibox')],
    [`/mpi key add   ${ECDSA}\n`, key(ECDSA, ECDSA_FINGERPRINT, 'ecdsa-sha2-nistp256', '')],
    ['help', { verb: 'help', topic: null }],
    ['help down', { verb: 'help', topic: 'down' }],
    ['help key', { verb: 'help', topic: 'key' }],
    ['help key rm', { verb: 'help', topic: 'key rm' }],
    ['up --help', { verb: 'help', topic: 'up' }],
    ['down alpha -h', { verb: 'help', topic: 'down' }],
    ['key --help', { verb: 'help', topic: 'key' }],
    ['key add --help', { verb: 'help', topic: 'key add' }],
  ])('%j', (input, command) => {
    const result = parseCommand(input, LIMITS);

    expect(result).toEqual({ ok: true, command });
  });

  it('checks node counts against the configured limit', () => {
    const result = parseCommand('up 64', { maxNodesPerCluster: 64 });

    expect(result).toMatchObject({ ok: true, command: { nodes: 64 } });
  });
});

describe('commands parseCommand robustness', () => {
  /** mulberry32: a tiny seeded PRNG, so a failure reproduces. */
  function prng(seed: number): () => number {
    let state = seed;
    return () => {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const PIECES = [
    'up',
    'resize',
    'down',
    'status',
    'list',
    'key',
    'add',
    'rm',
    'help',
    'run',
    'jobs',
    'logs',
    'cancel',
    '/mpi',
    '--',
    '--size',
    '--size=',
    '--spot',
    '--yes',
    '-y',
    '-h',
    '-n',
    '-n=',
    '--ppn',
    '--timeout',
    '1h30m',
    '--tail',
    '#7',
    '-',
    '—',
    '3',
    '0',
    '-1',
    '99999',
    'alpha',
    ' ',
    '  ',
    '\t',
    '\n',
    ';',
    '|',
    '$(',
    '`',
    '"',
    '=',
    'é',
    'а',
    '🚀',
    '\u200b',
    '\u202e',
    '\u0000',
    '\u001b',
    '\ud800',
    'ssh-ed25519',
    ED25519_BASE64,
    'ssh-rsa',
    'AAAA',
    'SHA256:',
    ED25519_FINGERPRINT,
    BEGIN('RSA'),
    'PRIVATE',
    'constructor',
    '__proto__',
    'toString',
  ];

  it('never throws and always answers with a message and usage on 2,000 random strings', () => {
    const random = prng(20_261_125);
    const inputs = Array.from({ length: 2000 }, () => {
      const length = Math.floor(random() * 12);
      return Array.from({ length }, () =>
        random() < 0.7
          ? PIECES[Math.floor(random() * PIECES.length)]!
          : String.fromCodePoint(Math.floor(random() * 0x2ffff)),
      ).join(random() < 0.5 ? ' ' : '');
    });

    const results = inputs.map((input) => parseCommand(input, LIMITS));

    for (const result of results) {
      if (result.ok) {
        expect(result.command.verb).toMatch(
          /^(up|resize|down|status|list|run|jobs|logs|cancel|key-add|key-list|key-rm|help)$/,
        );
      } else {
        expect(result.message.length).toBeGreaterThan(0);
        expect(result.message.length).toBeLessThan(400);
        expect(result.usage.length).toBeGreaterThan(0);
      }
    }
  });

  it('never throws on values that are not strings', () => {
    const hostile = {
      toString: () => {
        throw new Error('boom');
      },
    };

    const results = [undefined, null, 42, hostile].map((value) =>
      parseCommand(value as unknown as string, LIMITS),
    );

    expect(results.map((result) => result.ok)).toEqual([true, true, false, false]);
    expect(results[3]).toMatchObject({
      ok: false,
      message: expect.stringMatching(/could not read that command/),
    });
  });
});

describe('commands redactCommandText', () => {
  it('removes private key material and keeps the rest', () => {
    const result = redactCommandText(`/mpi key add ${OPENSSH_PRIVATE}`);

    expect(result).toBe('/mpi key add [redacted private key]\n');
  });

  it('leaves ordinary commands unchanged', () => {
    const result = redactCommandText(`/mpi key add ${ED25519}`);

    expect(result).toBe(`/mpi key add ${ED25519}`);
  });

  it('redacts a short secret every time it comes (only clean texts are remembered)', () => {
    const short = '/mpi key add -----BEGIN OPENSSH PRIVATE KEY-----';

    const twice = [redactCommandText(short), redactCommandText(short)];
    const clean = [redactCommandText('/mpi status'), redactCommandText('/mpi status')];

    expect(twice).toEqual(['/mpi key add [redacted private key]', '/mpi key add [redacted private key]']);
    expect(clean).toEqual(['/mpi status', '/mpi status']);
  });
});
