import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadOrCreateBotKey } from '../../adapters/ssh/bot-key.ts';
import { Ssh2Shell } from '../../adapters/ssh/ssh2-shell.ts';
import { JsonLogger } from '../../adapters/system/json-logger.ts';
import { SystemClock } from '../../adapters/system/system-clock.ts';
import { makeTempDir, testBasePort } from '../../../test/support/local-fixtures.ts';
import { describeProviderContract } from '../../../test/support/provider-contract.ts';
import { LocalProvider } from './local-provider.ts';

describeProviderContract('local (real sshd nodes)', async () => {
  const dir = makeTempDir('mpibox-local-contract');
  const bot = loadOrCreateBotKey(dir);
  const provider: LocalProvider = new LocalProvider({
    root: path.join(dir, 'clusters'),
    basePort: testBasePort(15),
    slotsPerNode: 1,
    user: { name: os.userInfo().username, isRoot: process.getuid?.() === 0 },
    botPublicKey: bot.publicKey,
    shell: new Ssh2Shell(bot.privateKey, (host, port) => provider.knownHostKeys(host, port)),
    clock: new SystemClock(),
    logger: new JsonLogger('error'),
  });
  return {
    provider,
    readyTimeoutInMs: 30_000,
    async cleanup() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});
