import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPrivateKeyBodies } from './key-body.ts';

let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mpibox-key-body-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const made = new Map<string, string[]>();

/** A private key file made by the stock ssh-keygen (once per name), as its lines. */
function keygenLines(name: string, args: string[], passphrase = ''): string[] {
  const path = join(dir, name);
  if (!made.has(name)) {
    execFileSync('ssh-keygen', ['-q', ...args, '-N', passphrase, '-C', 'tester@mpibox', '-f', path]);
    made.set(name, readFileSync(path, 'utf8').trim().split('\n'));
  }
  return made.get(name)!;
}

/** The base64 lines of a PEM text, without BEGIN, END or header lines. */
function pemBody(pem: string): string[] {
  return pem
    .trim()
    .split('\n')
    .filter((line) => !line.startsWith('-----') && !line.includes(':') && line !== '');
}

// Each: the base64 lines a user might paste, header and footer (and more) gone.
const BODIES: [name: string, lines: () => string[]][] = [
  [
    'PEM RSA 2048 (ssh-keygen)',
    () => keygenLines('rsa', ['-t', 'rsa', '-b', '2048', '-m', 'PEM']).slice(1, -1),
  ],
  [
    'PEM RSA 1024 (ssh-keygen)',
    () => keygenLines('rsa1k', ['-t', 'rsa', '-b', '1024', '-m', 'PEM']).slice(1, -1),
  ],
  ['PEM DSA (ssh-keygen)', () => keygenLines('dsa', ['-t', 'dsa', '-m', 'PEM']).slice(1, -1)],
  ['PEM EC P-256 (ssh-keygen)', () => keygenLines('ec', ['-t', 'ecdsa', '-m', 'PEM']).slice(1, -1)],
  [
    'PEM EC P-521 (ssh-keygen)',
    () => keygenLines('ec521', ['-t', 'ecdsa', '-b', '521', '-m', 'PEM']).slice(1, -1),
  ],
  ['PKCS#8 RSA (ssh-keygen)', () => keygenLines('p8', ['-t', 'rsa', '-m', 'PKCS8']).slice(1, -1)],
  ['PKCS#8 ECDSA (ssh-keygen)', () => keygenLines('p8ec', ['-t', 'ecdsa', '-m', 'PKCS8']).slice(1, -1)],
  [
    'PKCS#8 ed25519 (node:crypto)',
    () =>
      pemBody(generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string),
  ],
  [
    'PKCS#1 RSA 4096 (node:crypto)',
    () =>
      pemBody(
        generateKeyPairSync('rsa', { modulusLength: 4096 }).privateKey.export({
          type: 'pkcs1',
          format: 'pem',
        }) as string,
      ),
  ],
  [
    'SEC1 EC P-384 (node:crypto)',
    () =>
      pemBody(
        generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({
          type: 'sec1',
          format: 'pem',
        }) as string,
      ),
  ],
  [
    'encrypted PKCS#8 (node:crypto)',
    () =>
      pemBody(
        generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
          type: 'pkcs8',
          format: 'pem',
          cipher: 'aes-256-cbc',
          passphrase: 'pass word',
        }) as string,
      ),
  ],
  // OpenSSH: without the first body line too, so the `openssh-key-v1` magic is gone.
  ['OpenSSH ed25519 without the magic', () => keygenLines('ed', ['-t', 'ed25519']).slice(2, -1)],
  ['OpenSSH ECDSA without the magic', () => keygenLines('oec', ['-t', 'ecdsa']).slice(2, -1)],
  ['OpenSSH RSA without the magic', () => keygenLines('orsa', ['-t', 'rsa', '-b', '3072']).slice(2, -1)],
  ['OpenSSH DSA without the magic', () => keygenLines('odsa', ['-t', 'dsa']).slice(2, -1)],
  [
    'OpenSSH ed25519 encrypted, without the magic',
    () => keygenLines('eed', ['-t', 'ed25519'], 'pass word').slice(2, -1),
  ],
  ['OpenSSH ed25519 with the magic', () => keygenLines('ed2', ['-t', 'ed25519']).slice(1, -1)],
  ['OpenSSH ed25519 without two lines', () => keygenLines('ed3', ['-t', 'ed25519']).slice(3, -1)],
  ['PEM RSA without its first two lines', () => keygenLines('rsa3', ['-t', 'rsa', '-m', 'PEM']).slice(3, -1)],
];

describe('key-body findPrivateKeyBodies', () => {
  it.each(BODIES)('finds a %s body pasted on its own lines', (_name, lines) => {
    const body = lines().join('\n');
    const text = `/mpi key add ${body}\n(thanks!)`;

    const spans = findPrivateKeyBodies(text);

    expect(spans).toEqual([{ start: text.indexOf(body), end: text.indexOf(body) + body.length }]);
  });

  it.each(BODIES)('finds a %s body joined by spaces or in one piece', (_name, lines) => {
    const body = lines();

    const spaced = findPrivateKeyBodies(`key add ${body.join(' ')}`);
    const joined = findPrivateKeyBodies(`key add ${body.join('')}`);

    expect(spaced).toHaveLength(1);
    expect(joined).toHaveLength(1);
  });

  it('leaves public keys alone: OpenSSH lines, PEM public keys, a certificate', () => {
    const ssh = ['ed25519', 'rsa', 'ecdsa', 'dsa'].map((type) => {
      keygenLines(`pub-${type}`, ['-t', type]);
      return readFileSync(join(dir, `pub-${type}.pub`), 'utf8');
    });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const dsa = generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 });
    const pems = [
      rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string,
      rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }) as string,
      dsa.publicKey.export({ type: 'spki', format: 'pem' }) as string,
      generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({
        type: 'spki',
        format: 'pem',
      }) as string,
    ];
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=mpibox', '-days', '1'],
        ...['-keyout', join(dir, 'cert.key'), '-out', join(dir, 'cert.pem')],
      ],
      { stdio: 'ignore' },
    );
    const certificate = readFileSync(join(dir, 'cert.pem'), 'utf8');

    const found = [
      ...ssh,
      ...pems.map((pem) => pemBody(pem).join('\n')),
      pemBody(certificate).join('\n'),
    ].map((text) => findPrivateKeyBodies(`/mpi key add ${text}`));

    expect(found).toEqual(found.map(() => []));
  });

  it('leaves ordinary base64 and long words alone', () => {
    const texts = [
      `/mpi run -- echo ${randomBytes(3000).toString('base64')} | base64 -d > input.bin`,
      `/mpi run -- ./solver ${randomBytes(3000)
        .toString('base64')
        .replace(/(.{64})/g, '$1\n')}`,
      `/mpi status ${'a'.repeat(10_001)}`,
      '/mpi up 2 averyveryverylongclustername --size Standard_HB120rs_v3',
    ];

    const found = texts.map((text) => findPrivateKeyBodies(text));

    expect(found).toEqual([[], [], [], []]);
  });

  it.each([
    ['random base64', randomBytes(750_000).toString('base64')],
    ['zero bytes', 'A'.repeat(1_000_000)],
    ['a chain of tiny DER integers', 'AgIC'.repeat(250_000)],
    ['a chain of tiny SSH strings', Buffer.alloc(750_000, Buffer.from([0, 0, 0, 1, 1])).toString('base64')],
    ['DER sequence headers', Buffer.alloc(750_000, Buffer.from([0x30, 0x81, 0x80])).toString('base64')],
    ['short base64 words', 'abcdefghijklmnopq '.repeat(60_000)],
  ])('stays linear on a megabyte of %s', (_name, text) => {
    const startedAtMs = Date.now();

    findPrivateKeyBodies(text);

    expect(Date.now() - startedAtMs).toBeLessThan(2000);
  });
});
