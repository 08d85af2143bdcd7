import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parsePublicKey } from '../../domain/ssh-key.ts';

/** The bot's own SSH identity, kept in the data directory. */
export interface BotKey {
  /** OpenSSH private key; never logged or posted. */
  privateKey: Buffer;
  /** `ssh-ed25519 AAAA… mpibox-bot` line for authorized_keys. */
  publicKey: string;
  /** Path of the private key file (mode 0600). */
  privateKeyPath: string;
}

/**
 * Loads the bot key from `dataDir`, generating an ed25519 pair with the stock `ssh-keygen` on
 * first start. (ssh2's own generator drops a leading zero byte of the public key about once
 * in 256 keys, which makes a key every server refuses; a pair that does not validate is
 * replaced.)
 */
export function loadOrCreateBotKey(dataDir: string): BotKey {
  const privateKeyPath = path.join(dataDir, 'bot_ed25519');
  const publicKeyPath = `${privateKeyPath}.pub`;
  if (!isValidPair(privateKeyPath, publicKeyPath)) {
    // Generate under a temporary name then rename, so a crash never leaves half a key behind.
    const temporary = path.join(dataDir, `bot_ed25519.${process.pid}.tmp`);
    fs.rmSync(temporary, { force: true });
    fs.rmSync(`${temporary}.pub`, { force: true });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'mpibox-bot', '-f', temporary]);
    fs.renameSync(`${temporary}.pub`, publicKeyPath);
    fs.renameSync(temporary, privateKeyPath);
  }
  fs.chmodSync(privateKeyPath, 0o600);
  return {
    privateKey: fs.readFileSync(privateKeyPath),
    publicKey: fs.readFileSync(publicKeyPath, 'utf8').trim(),
    privateKeyPath,
  };
}

function isValidPair(privateKeyPath: string, publicKeyPath: string): boolean {
  try {
    const publicKey = fs.readFileSync(publicKeyPath, 'utf8').trim();
    return fs.statSync(privateKeyPath).size > 0 && parsePublicKey(publicKey).ok;
  } catch {
    return false;
  }
}
