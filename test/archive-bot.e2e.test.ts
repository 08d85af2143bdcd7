import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type Azurite } from './support/azurite.ts';
import { BotProcess } from './support/bot-process.ts';
import { makeTempDir, testBasePort } from './support/local-fixtures.ts';

const LINES = 300;
const JOB = `sh -c 'i=1; while [ $i -le ${LINES} ]; do echo "archived line $i"; i=$((i+1)); done'`;

/**
 * The job-log archive through the real bot (console mode, local nodes): a finished job's log is
 * copied to Blob Storage (Azurite), its thread gets a read link that downloads the same bytes,
 * and `/mpi logs` still answers after the cluster is deleted and the bot's own copy is gone.
 */
describe('job-log archive through the bot (Azurite)', () => {
  let azurite: Azurite;
  const dataDir = makeTempDir('mpibox-archive-bot');
  const env = () => ({
    MPIBOX_DATA_DIR: dataDir,
    MPIBOX_LOCAL_BASE_PORT: String(testBasePort(19)),
    AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
    MPIBOX_ARCHIVE_LINK_LIFETIME: '1h',
    MPIBOX_TEAM: 'Lab A',
  });

  beforeAll(async () => {
    azurite = await startAzurite();
  }, 60_000);

  afterAll(async () => {
    await azurite?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    'posts a read link with the same bytes, and /mpi logs answers after the cluster and the copy are gone',
    { timeout: 120_000 },
    async () => {
      const bot = new BotProcess(env());
      bot.send('/mpi up 1 demo');
      await bot.waitFor(/Cluster demo is ready/, 60_000);
      bot.send(`/mpi run -n 1 -- ${JOB}`);
      const archived = await bot.waitFor(
        /Log archived \(([\d,]+) bytes, MD5 checked\): <([^|>]+)\|download>/,
        60_000,
      );
      bot.send('/mpi down demo --yes');
      await bot.waitFor(/Cluster demo is deleted/, 30_000);
      await bot.end();
      const local = fs.readFileSync(path.join(dataDir, 'logs', 'job-1.log'));
      const downloaded = Buffer.from(await (await fetch(archived[2]!)).arrayBuffer());
      fs.rmSync(path.join(dataDir, 'logs'), { recursive: true, force: true }); // the bot's own copy is lost

      const second = new BotProcess(env());
      second.send('/mpi logs 1 --tail 3');
      await second.waitFor(/archived line 300/, 30_000);
      await second.end();

      expect(Number(archived[1]!.replaceAll(',', ''))).toBe(local.length);
      expect(downloaded.equals(local)).toBe(true);
      expect(second.stdout).toMatch(/archived line 298\n {4}archived line 299\n {4}archived line 300/);
      expect(second.stdout).not.toMatch(/archived line 297\b/);
      // The link's signature and the account key never reach the bot's log.
      expect(bot.stderr + second.stderr).not.toContain('sig=');
      expect(bot.stderr + second.stderr).not.toContain(
        azurite.connectionString.split('AccountKey=')[1]!.split(';')[0]!,
      );
    },
  );
});
