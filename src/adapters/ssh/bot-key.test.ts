import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../test/support/local-fixtures.ts';
import { loadOrCreateBotKey } from './bot-key.ts';

describe('loadOrCreateBotKey', () => {
  it('creates a 0600 ed25519 pair once, then loads the same one', () => {
    const dir = makeTempDir('mpibox-bot-key');

    const first = loadOrCreateBotKey(dir);
    const second = loadOrCreateBotKey(dir);

    expect(second.publicKey).toBe(first.publicKey);
    expect(fs.statSync(first.privateKeyPath).mode & 0o777).toBe(0o600);
    const derived = execFileSync('ssh-keygen', ['-y', '-f', first.privateKeyPath], { encoding: 'utf8' });
    expect(first.publicKey.startsWith(derived.trim())).toBe(true);
  });

  it('replaces a pair whose public key does not validate (a truncated ed25519 key)', () => {
    const dir = makeTempDir('mpibox-bot-key-bad');
    fs.writeFileSync(path.join(dir, 'bot_ed25519'), 'junk', { mode: 0o600 });
    fs.writeFileSync(
      path.join(dir, 'bot_ed25519.pub'),
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAHzaJ+UwNsyOn29DcBcbgfCkXhx8DcD39x6XxjhwEzyI= mpibox-bot\n',
    );

    const key = loadOrCreateBotKey(dir);

    expect(key.publicKey).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI/);
    expect(key.privateKey.toString()).toMatch(/BEGIN OPENSSH PRIVATE KEY/);
  });
});
