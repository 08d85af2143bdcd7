import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_AUDIT_TEXT_CHARS } from '../commands/parse.ts';
import { makeHarness, snapshot } from '../../test/fakes/harness.ts';
import { makeTempDir } from '../../test/support/local-fixtures.ts';

const keyDir = makeTempDir('mpibox-audit-keys');

/** The lines of a private key made by the stock ssh-keygen. */
function keygenLines(name: string, args: string[]): string[] {
  const file = path.join(keyDir, name);
  execFileSync('ssh-keygen', ['-q', ...args, '-N', '', '-C', 'alice@laptop', '-f', file]);
  return fs.readFileSync(file, 'utf8').trim().split('\n');
}

/** Pieces of a body that must not survive: every line, and 12-character slices across it. */
function secretPieces(lines: string[]): string[] {
  const joined = lines.join('');
  const slices = Array.from({ length: 8 }, (_, index) => {
    const at = Math.floor(((joined.length - 12) * index) / 7);
    return joined.slice(at, at + 12);
  });
  return [...lines.filter((line) => line.length >= 12), ...slices];
}

describe('Dispatcher audit of pasted private key bodies', () => {
  // Each: the base64 lines of a private key with its BEGIN and END lines taken off (and, for
  // OpenSSH, its first body line too, which holds the `openssh-key-v1` magic).
  const bodies: Record<string, string[]> = {};

  beforeAll(() => {
    const strip = (lines: string[], from = 1) => lines.slice(from, -1);
    bodies['PEM RSA'] = strip(keygenLines('rsa', ['-t', 'rsa', '-b', '2048', '-m', 'PEM']));
    bodies['PEM RSA 1024'] = strip(keygenLines('rsa1k', ['-t', 'rsa', '-b', '1024', '-m', 'PEM']));
    bodies['PEM DSA'] = strip(keygenLines('dsa', ['-t', 'dsa', '-m', 'PEM']));
    bodies['PEM ECDSA'] = strip(keygenLines('ecdsa', ['-t', 'ecdsa', '-m', 'PEM']));
    bodies['PKCS#8 RSA'] = strip(keygenLines('p8', ['-t', 'rsa', '-m', 'PKCS8']));
    bodies['PKCS#8 ed25519'] = strip(
      (generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string)
        .trim()
        .split('\n'),
    );
    bodies['OpenSSH ed25519'] = strip(keygenLines('ed', ['-t', 'ed25519']), 2);
    bodies['OpenSSH ECDSA'] = strip(keygenLines('oecdsa', ['-t', 'ecdsa']), 2);
    bodies['OpenSSH RSA'] = strip(keygenLines('orsa', ['-t', 'rsa', '-b', '3072']), 2);
  });

  const kinds = [
    'PEM RSA',
    'PEM RSA 1024',
    'PEM DSA',
    'PEM ECDSA',
    'PKCS#8 RSA',
    'PKCS#8 ed25519',
    'OpenSSH ed25519',
    'OpenSSH ECDSA',
    'OpenSSH RSA',
  ];
  const pastes: [how: string, text: (lines: string[]) => string][] = [
    ['as lines after key add', (lines) => `/mpi key add ${lines.join('\n')}`],
    ['on one line after key add', (lines) => `/mpi key add ${lines.join(' ')}`],
    ['inside a run command', (lines) => `/mpi run -- echo '${lines.join('\n')}' > key`],
  ];
  const cases = kinds.flatMap((kind) => pastes.map(([how, text]) => [kind, how, text] as const));

  it.each(cases)(
    'a %s body pasted %s is refused as a private key and never audited',
    async (kind, _how, text) => {
      const h = makeHarness();
      await h.run('UALICE', '/mpi up 1 keep');
      const before = snapshot(h.store, ['UALICE'], ['C1']);
      const lines = bodies[kind]!;

      const reply = await h.run('UALICE', text(lines));

      expect(reply.message.text).toMatch(/That looks like a PRIVATE key, so it was NOT stored/);
      expect(snapshot(h.store, ['UALICE'], ['C1'])).toBe(before);
      const [row] = h.store.listAudit(1);
      expect(row?.result).toBe('private-key');
      expect(row?.text).toContain('[redacted private key]');
      const kept = JSON.stringify([h.store.listAudit(100), h.logger.lines, reply]);
      for (const piece of secretPieces(lines)) expect(kept).not.toContain(piece);
    },
  );

  it('cuts a 1 MB command in the audit log, with a marker that says so', async () => {
    const h = makeHarness();
    const text = `/mpi run -- echo ${'x'.repeat(1_000_000)}`;

    const reply = await h.run('UALICE', text);

    expect(reply.message.text).toMatch(/too long \(1000017 characters; the limit is 10000\)/);
    const [row] = h.store.listAudit(1);
    expect(row?.text).toBe(`${text.slice(0, MAX_AUDIT_TEXT_CHARS)}… [cut: 1000017 characters in all]`);
  });

  it('redacts a body before cutting a long command, and keeps short ones whole', async () => {
    const h = makeHarness();
    const lines = bodies['PEM RSA']!;
    const long = `/mpi key add ${'zz-'.repeat(1000)} ${lines.join('\n')} ${'-y'.repeat(500_000)}`;
    const exact = `/mpi run -- echo ${'w'.repeat(MAX_AUDIT_TEXT_CHARS - 17)}`;

    await h.run('UALICE', long);
    await h.run('UALICE', exact);

    const [exactRow, longRow] = h.store.listAudit(2);
    expect(longRow?.text).toMatch(
      /^\/mpi key add (?:zz-){1000} \[redacted private key\] (?:-y)+-?… \[cut: \d+ characters in all\]$/,
    );
    expect(longRow?.text.length).toBeLessThan(MAX_AUDIT_TEXT_CHARS + 50);
    for (const piece of secretPieces(lines)) expect(longRow?.text).not.toContain(piece);
    expect(exactRow?.text).toBe(exact);
  });

  it('never cuts a character in half', async () => {
    const h = makeHarness();
    const text = `/mpi status x${'🚀'.repeat(5000)}`; // the cut falls inside a surrogate pair

    await h.run('UALICE', text);

    const [row] = h.store.listAudit(1);
    expect(row?.text).toMatch(/^\/mpi status x(?:🚀)+… \[cut: 10013 characters in all\]$/u);
  });
});
