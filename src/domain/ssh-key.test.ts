import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPrivateKeyMaterial, parsePublicKey, redactSecrets, type PublicKeyProblem } from './ssh-key.ts';

// Armour lines are split so secret scanners do not flag this file.
const BEGIN_OPENSSH = '-----BEGIN ' + 'OPENSSH PRIVATE KEY-----';
const END_OPENSSH = '-----END ' + 'OPENSSH PRIVATE KEY-----';
const ED25519_LINE =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGbzu1mH9b3ok2b0mS0XjPzrP3IzdGo1LLDdeVNF4b7E alice@laptop';

let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mpibox-ssh-key-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Generates a key pair with the real ssh-keygen; returns the private key path. */
function keygen(name: string, args: string[]): string {
  const path = join(dir, name);
  execFileSync('ssh-keygen', [...args, '-N', '', '-C', 'tester@mpibox', '-q', '-f', path]);
  return path;
}

/** `ssh-keygen -lf` → { bits, fingerprint }. */
function keygenFingerprint(pubPath: string): { bits: number; fingerprint: string } {
  const [bits = '', fingerprint = ''] = execFileSync('ssh-keygen', ['-lf', pubPath], {
    encoding: 'utf8',
  }).split(' ');
  return { bits: Number(bits), fingerprint };
}

function sshString(value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** An uncompressed point of a fresh P-256 key (ssh-keygen checks the point is on the curve). */
function p256Point(): Buffer {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const { x = '', y = '' } = publicKey.export({ format: 'jwk' });
  return Buffer.concat([Buffer.from([4]), Buffer.from(x, 'base64url'), Buffer.from(y, 'base64url')]);
}

function line(type: string, ...fields: (Buffer | string)[]): string {
  return `${type} ${Buffer.concat(fields.map(sshString)).toString('base64')}`;
}

function reasonOf(text: string): PublicKeyProblem | 'ok' {
  const result = parsePublicKey(text);
  return result.ok ? 'ok' : result.reason;
}

describe('ssh-key parsePublicKey against ssh-keygen', () => {
  it.each([
    ['ed25519', ['-t', 'ed25519'], 'ssh-ed25519'],
    ['rsa 3072', ['-t', 'rsa', '-b', '3072'], 'ssh-rsa'],
    ['rsa 2048', ['-t', 'rsa', '-b', '2048'], 'ssh-rsa'],
    ['ecdsa 256', ['-t', 'ecdsa', '-b', '256'], 'ecdsa-sha2-nistp256'],
    ['ecdsa 384', ['-t', 'ecdsa', '-b', '384'], 'ecdsa-sha2-nistp384'],
    ['ecdsa 521', ['-t', 'ecdsa', '-b', '521'], 'ecdsa-sha2-nistp521'],
  ])('matches fingerprint and bits of a generated %s key', (name, args, type) => {
    const path = keygen(name.replace(' ', '-'), args);
    const pub = readFileSync(`${path}.pub`, 'utf8');
    const expected = keygenFingerprint(`${path}.pub`);

    const result = parsePublicKey(pub);

    expect(result).toEqual({
      ok: true,
      key: {
        type,
        bits: expected.bits,
        base64: pub.split(' ')[1],
        comment: 'tester@mpibox',
        fingerprint: expected.fingerprint,
        authorizedKeysLine: pub.trim(),
      },
    });
  });

  it.each([
    ['sk-ssh-ed25519@openssh.com', [Buffer.alloc(32, 7), 'ssh:']],
    ['sk-ecdsa-sha2-nistp256@openssh.com', ['nistp256', p256Point(), 'ssh:']],
  ])('accepts a security-key %s line and fingerprints it like ssh-keygen', (type, fields) => {
    const text = line(type, type, ...fields);
    const pubPath = join(dir, `${type}.pub`);
    writeFileSync(pubPath, `${text} yubi\n`);
    const expected = keygenFingerprint(pubPath);

    const result = parsePublicKey(text);

    expect(result.ok && result.key).toMatchObject({
      type,
      bits: 256,
      fingerprint: expected.fingerprint,
      comment: '',
    });
    expect(result.ok && result.key.authorizedKeysLine).toBe(text);
  });

  it('refuses a generated 1024-bit RSA key as too small', () => {
    const path = keygen('rsa-1024', ['-t', 'rsa', '-b', '1024']);

    const result = parsePublicKey(readFileSync(`${path}.pub`, 'utf8'));

    expect(result).toMatchObject({
      ok: false,
      reason: 'key-too-small',
      message: expect.stringMatching(/1024 bits/),
    });
  });

  it.each([
    ['OpenSSH', ['-t', 'ed25519']],
    ['PEM RSA', ['-t', 'rsa', '-b', '2048', '-m', 'PEM']],
    ['PKCS8 ECDSA', ['-t', 'ecdsa', '-m', 'PKCS8']],
  ])('detects a generated %s private key, whole or in pieces', (name, args) => {
    const privateText = readFileSync(keygen(`private-${name.replace(' ', '-')}`, args), 'utf8');
    const bodyLine = privateText.split('\n')[1]!;

    const whole = parsePublicKey(privateText);

    expect(whole).toMatchObject({ ok: false, reason: 'private-key' });
    expect(!whole.ok && whole.message).toMatch(/NOT stored.*exposed.*new.*\.pub/s);
    expect(isPrivateKeyMaterial(privateText.split('\n')[0]!)).toBe(true);
    expect(isPrivateKeyMaterial(bodyLine)).toBe(true);
    expect(redactSecrets(`key add ${privateText}`)).toBe('key add [redacted private key]\n');
  });

  it.each([
    ['rsa pkcs1', 'rsa', { modulusLength: 2048 }, 'pkcs1'],
    ['rsa pkcs8', 'rsa', { modulusLength: 2048 }, 'pkcs8'],
    ['ed25519 pkcs8', 'ed25519', {}, 'pkcs8'],
    ['ec P-256 sec1', 'ec', { namedCurve: 'prime256v1' }, 'sec1'],
    ['ec P-384 sec1', 'ec', { namedCurve: 'secp384r1' }, 'sec1'],
    ['ec P-521 sec1', 'ec', { namedCurve: 'secp521r1' }, 'sec1'],
    ['ec P-256 pkcs8', 'ec', { namedCurve: 'prime256v1' }, 'pkcs8'],
    ['ec P-384 pkcs8', 'ec', { namedCurve: 'secp384r1' }, 'pkcs8'],
    ['ec P-521 pkcs8', 'ec', { namedCurve: 'secp521r1' }, 'pkcs8'],
    ['encrypted rsa pkcs8', 'rsa', { modulusLength: 2048 }, 'pkcs8-encrypted'],
  ] as const)(
    'recognises the first body line of a %s PEM without its header',
    (_name, kind, options, format) => {
      const encoding =
        format === 'pkcs8-encrypted'
          ? { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' }
          : { type: format, format: 'pem' };
      // @ts-expect-error -- the overloads of generateKeyPairSync do not accept a union of kinds
      const { privateKey } = generateKeyPairSync(kind, { ...options, privateKeyEncoding: encoding });
      const bodyLine = String(privateKey).split('\n')[1]!;

      const result = parsePublicKey(`ssh-rsa ${bodyLine}`);

      expect(result).toMatchObject({ ok: false, reason: 'private-key' });
    },
  );
});

describe('ssh-key parsePublicKey refusals', () => {
  const ed25519Blob = Buffer.from(ED25519_LINE.split(' ')[1]!, 'base64');
  const rsaModulus = (bytes: number) =>
    Buffer.concat([Buffer.from([0, 0xc0]), Buffer.alloc(bytes - 1, 0x55)]);

  it.each<[string, string, PublicKeyProblem]>([
    ['empty', '   \n', 'empty'],
    ['two lines', `${ED25519_LINE}\n${ED25519_LINE}`, 'multiple-lines'],
    ['a NUL', ED25519_LINE.replace('alice', 'al\u0000ice'), 'control-characters'],
    ['an escape sequence', `${ED25519_LINE}\u001b[2J`, 'control-characters'],
    ['command= option', `command="rm -rf /" ${ED25519_LINE}`, 'options-prefix'],
    ['from= option', `from="10.0.0.0/8" ${ED25519_LINE}`, 'options-prefix'],
    ['no-pty option', `no-pty,no-port-forwarding ${ED25519_LINE}`, 'options-prefix'],
    ['restrict option', `restrict ${ED25519_LINE}`, 'options-prefix'],
    ['ssh-dss', line('ssh-dss', 'ssh-dss', Buffer.alloc(128, 1)), 'weak-type'],
    ['an unknown type', 'ssh-foo AAAAB3NzaC1yc2E=', 'unknown-type'],
    ['a certificate type', 'ssh-ed25519-cert-v01@openssh.com AAAA', 'unknown-type'],
    ['a Cyrillic type', ED25519_LINE.replace('ssh', 'ѕsh'), 'unknown-type'],
    ['no key data', 'ssh-ed25519', 'missing-key-data'],
    ['base64 with a bad character', ED25519_LINE.replace('AAAAC3', 'AAAA!3'), 'invalid-base64'],
    ['base64 with unicode', ED25519_LINE.replace('AAAAC3', 'AAAAÇ3'), 'invalid-base64'],
    ['base64 of bad length', ED25519_LINE.replace('AAAAC3', 'AAAAC'), 'invalid-base64'],
    ['base64 with padding bits set', 'ssh-ed25519 AB==', 'invalid-base64'],
    [
      'a declared type differing from the blob',
      ED25519_LINE.replace('ssh-ed25519', 'ssh-rsa'),
      'type-mismatch',
    ],
    ['a truncated blob', `ssh-ed25519 ${ed25519Blob.subarray(0, 40).toString('base64')}`, 'truncated'],
    [
      'a huge first length field',
      `ssh-ed25519 ${Buffer.from('\xff\xff\xff\xffssh-ed25519', 'latin1').toString('base64')}`,
      'truncated',
    ],
    [
      'a length field past the end',
      `ssh-ed25519 ${Buffer.concat([sshString('ssh-ed25519'), Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2])]).toString('base64')}`,
      'truncated',
    ],
    [
      'trailing bytes',
      `ssh-ed25519 ${Buffer.concat([ed25519Blob, Buffer.from([0])]).toString('base64')}`,
      'trailing-data',
    ],
    ['a 31-byte ed25519 key', line('ssh-ed25519', 'ssh-ed25519', Buffer.alloc(31)), 'invalid-key-data'],
    [
      'a wrong ecdsa curve',
      line('ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp384', 'nistp256', Buffer.alloc(65, 4)),
      'type-mismatch',
    ],
    [
      'a short ecdsa point',
      line('ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp256', 'nistp256', Buffer.alloc(33, 4)),
      'invalid-key-data',
    ],
    [
      'an rsa key without a modulus',
      line('ssh-rsa', 'ssh-rsa', Buffer.from([1, 0, 1]), Buffer.alloc(0)),
      'invalid-key-data',
    ],
    [
      'a negative rsa modulus',
      line('ssh-rsa', 'ssh-rsa', Buffer.from([1, 0, 1]), Buffer.alloc(256, 0xff)),
      'invalid-key-data',
    ],
    [
      'a 1032-bit rsa key',
      line('ssh-rsa', 'ssh-rsa', Buffer.from([1, 0, 1]), rsaModulus(129)),
      'key-too-small',
    ],
    [
      'a 16392-bit rsa key',
      line('ssh-rsa', 'ssh-rsa', Buffer.from([1, 0, 1]), rsaModulus(2049)),
      'key-too-large',
    ],
    ['a comment with spaces', `${ED25519_LINE} and more`, 'bad-comment'],
    ['a comment with a quote', `${ED25519_LINE}"`, 'bad-comment'],
    ['a comment with a comma', ED25519_LINE.replace('alice@laptop', 'a,command=x'), 'bad-comment'],
    ['a unicode comment', ED25519_LINE.replace('alice', 'alicé'), 'bad-comment'],
    ['an emoji comment', `${ED25519_LINE}🔑`, 'bad-comment'],
    ['a 101-character comment', ED25519_LINE.replace('alice@laptop', 'a'.repeat(101)), 'bad-comment'],
    ['a huge line', `ssh-rsa ${'A'.repeat(9000)}`, 'too-long'],
    ['a PuTTY file header', 'PuTTY-User-Key-File-3: ssh-ed25519', 'private-key'],
    ['a bare BEGIN header', BEGIN_OPENSSH, 'private-key'],
    ['a header without dashes', 'BEGIN RSA ' + 'PRIVATE KEY', 'private-key'],
    ['an OpenSSH private body fragment', 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ', 'private-key'],
  ])('refuses %s', (_name, text, reason) => {
    const result = reasonOf(text);

    expect(result).toBe(reason);
  });

  it('accepts a 2056-bit rsa modulus and counts its bits from the first non-zero byte', () => {
    const text = line('ssh-rsa', 'ssh-rsa', Buffer.from([1, 0, 1]), rsaModulus(257));

    const result = parsePublicKey(text);

    expect(result.ok && result.key.bits).toBe(2056);
  });

  it('accepts a 100-character comment, surrounding whitespace and tabs between fields', () => {
    const comment = 'a'.repeat(96) + '@b.c';

    const result = parsePublicKey(
      `\n  ${ED25519_LINE.replace('alice@laptop', comment).replace(' ', '\t')}  \r\n`,
    );

    expect(result.ok && result.key.comment).toBe(comment);
    expect(result.ok && result.key.authorizedKeysLine).toBe(ED25519_LINE.replace('alice@laptop', comment));
  });

  it('gives an empty comment and a two-field line when there is no comment', () => {
    const text = ED25519_LINE.replace(' alice@laptop', '');

    const result = parsePublicKey(text);

    expect(result.ok && result.key).toMatchObject({ comment: '', authorizedKeysLine: text, bits: 256 });
  });
});

describe('ssh-key redactSecrets', () => {
  it('redacts a whole block and keeps the text around it', () => {
    const text = `before ${BEGIN_OPENSSH}\nAAAA\nBBBB\n${END_OPENSSH} after`;

    const result = redactSecrets(text);

    expect(result).toBe('before [redacted private key] after');
  });

  it('redacts from a header to the end when there is no END line', () => {
    const result = redactSecrets(`key add ${BEGIN_OPENSSH}\nb3Blbn`);

    expect(result).toBe('key add [redacted private key]');
  });

  it('redacts an orphan END line with the base64 lines before it', () => {
    const body = 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0123456789\nQUJDREVGR0hJSktMTU5PUFFSU1RVVldY';

    const result = redactSecrets(`key add ${body}\n${END_OPENSSH}\nthanks`);

    expect(result).toBe('key add [redacted private key]\nthanks');
  });

  it.each([
    ['PEM RSA', ['-t', 'rsa', '-m', 'PEM'], 1],
    ['PEM DSA', ['-t', 'dsa', '-m', 'PEM'], 1],
    ['OpenSSH ed25519', ['-t', 'ed25519'], 2],
  ])('redacts a generated %s body pasted without its armour, and refuses it as a key', (name, args, from) => {
    const lines = readFileSync(keygen(`headless-${name.replace(' ', '-')}`, args), 'utf8')
      .trim()
      .split('\n');
    const body = lines.slice(from, -1).join('\n');

    const result = redactSecrets(`key add ${body}\n(that was it)`);

    expect(result).toBe('key add [redacted private key]\n(that was it)');
    expect(parsePublicKey(body)).toMatchObject({ ok: false, reason: 'private-key' });
  });

  it('redacts an encrypted PEM body from its Proc-Type header when the BEGIN line is gone', () => {
    const path = join(dir, 'encrypted-pem');
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-m', 'PEM', '-N', 'pass word', '-C', 'x', '-f', path]);
    const text = readFileSync(path, 'utf8').split('\n').slice(1).join('\n');

    const result = redactSecrets(`key add ${text}`);

    expect(result).toBe('key add [redacted private key]');
  });

  it('leaves public keys and ordinary text alone', () => {
    const text = `key add ${ED25519_LINE} — my private key stays home`;

    const result = redactSecrets(text);

    expect(result).toBe(text);
    expect(isPrivateKeyMaterial(text)).toBe(false);
  });

  it.each([
    ['base64 run', 'A'.repeat(200_000)],
    ['dash run', '-'.repeat(100_000)],
    ['dash run after a header', `${BEGIN_OPENSSH}${'-'.repeat(100_000)}`],
    ['repeated BEGIN', 'BEGIN '.repeat(20_000)],
    ['repeated headers without END', BEGIN_OPENSSH.repeat(5_000)],
    ['repeated END lines', `${'QUJD'.repeat(5)} ${END_OPENSSH}`.repeat(3_000)],
    ['repeated whitespace', `${'-'.repeat(3)}${' '.repeat(100_000)}END`],
  ])('stays fast on a hostile %s', (_name, text) => {
    const startedAtMs = Date.now();

    redactSecrets(text);

    expect(Date.now() - startedAtMs).toBeLessThan(300);
  });
});
