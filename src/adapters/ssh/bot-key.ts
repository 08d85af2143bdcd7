import fs from 'node:fs';
import path from 'node:path';
import ssh2 from 'ssh2';

/** The bot's own SSH identity, kept in the data directory. */
export interface BotKey {
  /** OpenSSH private key; never logged or posted. */
  privateKey: Buffer;
  /** `ssh-ed25519 AAAA… mpibox-bot` line for authorized_keys. */
  publicKey: string;
  /** Path of the private key file (mode 0600). */
  privateKeyPath: string;
}

/** Loads the bot key from `dataDir`, generating an ed25519 pair on first start. */
export function loadOrCreateBotKey(dataDir: string): BotKey {
  const privateKeyPath = path.join(dataDir, 'bot_ed25519');
  const publicKeyPath = `${privateKeyPath}.pub`;
  if (!fs.existsSync(privateKeyPath) || !fs.existsSync(publicKeyPath)) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'mpibox-bot' });
    // Write to temporary names then rename, so a crash never leaves half a key behind.
    fs.writeFileSync(`${privateKeyPath}.tmp`, pair.private, { mode: 0o600 });
    fs.writeFileSync(`${publicKeyPath}.tmp`, `${pair.public}\n`, { mode: 0o644 });
    fs.renameSync(`${publicKeyPath}.tmp`, publicKeyPath);
    fs.renameSync(`${privateKeyPath}.tmp`, privateKeyPath);
  }
  fs.chmodSync(privateKeyPath, 0o600);
  return {
    privateKey: fs.readFileSync(privateKeyPath),
    publicKey: fs.readFileSync(publicKeyPath, 'utf8').trim(),
    privateKeyPath,
  };
}
