import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { signSlackRequest, slashCommandBody, startFakeSlack } from './fake-slack/index.ts';
import { BotProcess } from './support/bot-process.ts';
import { makeTempDir, testBasePort } from './support/local-fixtures.ts';
import { SIGNING_SECRET, eventually, freePort, onTimeoutDescribe } from './support/slack-bot.ts';
import { accountForLines as accountFor } from './support/numbered-lines.ts';

const LINES = 150;
/** A job printing numbered lines, a few per chat interval. */
const COUNTER = `sh -c 'i=1; while [ $i -le ${LINES} ]; do echo "line-$i"; i=$((i+1)); sleep 0.04; done'`;
const EXPECTED = Array.from({ length: LINES }, (_, index) => `line-${index + 1}`);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('a job thread across a bot crash (real bot over HTTP, fake Slack)', () => {
  it(
    'continues exactly where the channel last saw it; the attached log is the job’s output',
    { timeout: 180_000 },
    async () => {
      const fake = await startFakeSlack();
      cleanups.push(() => fake.close());
      const dataDir = makeTempDir('mpibox-slack-restart');
      const httpPort = await freePort();
      const env = {
        MPIBOX_DATA_DIR: dataDir,
        MPIBOX_LOCAL_BASE_PORT: String(testBasePort(20)),
        SLACK_BOT_TOKEN: fake.token,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: fake.apiUrl,
        MPIBOX_HTTP_PORT: String(httpPort),
      };
      const start = async () => {
        const bot = new BotProcess(env);
        cleanups.push(async () => {
          if (bot.child.exitCode === null) {
            bot.child.kill('SIGKILL');
            await bot.exited;
          }
        });
        await eventually(() => /mpibox started/.test(bot.stderr), 'bot started', 20_000);
        return bot;
      };
      const slash = async (text: string) => {
        const body = slashCommandBody({
          text,
          user_id: 'U1',
          channel_id: 'C1',
          response_url: fake.responseUrl('r'),
        });
        const headers = {
          'content-type': 'application/x-www-form-urlencoded',
          ...signSlackRequest(SIGNING_SECRET, body),
        };
        const response = await fetch(`http://127.0.0.1:${httpPort}/slack/events`, {
          method: 'POST',
          headers,
          body,
        });
        expect(response.status).toBe(200);
      };
      const topLevel = (pattern: RegExp) =>
        fake.messages('C1').find((message) => !message.threadTs && pattern.test(message.text));
      const threadOf = (ts: string) => fake.messages('C1').filter((message) => message.threadTs === ts);
      const first = await start();
      onTimeoutDescribe(() =>
        fake
          .messages('C1')
          .map((m) => `${m.ts} ${m.threadTs ?? '-'} ${m.text.slice(0, 100)}`)
          .join('\n'),
      );

      await slash('up 1 demo');
      await eventually(() => topLevel(/Cluster demo is ready/), 'cluster ready');
      await slash(`run -n 1 -- ${COUNTER}`);
      const job = await eventually(() => topLevel(/job #1 on demo/), 'job message');
      // Kill the bot once lines are saved in its copy that the thread has not shown yet.
      const copy = path.join(dataDir, 'logs', 'job-1.log');
      await eventually(() => {
        const saved = fs.existsSync(copy) ? fs.readFileSync(copy, 'utf8') : '';
        const shown = threadOf(job.ts)
          .map((message) => message.text)
          .join('\n');
        const lastShown = Math.max(0, ...[...shown.matchAll(/line-(\d+)/g)].map((match) => Number(match[1])));
        return lastShown >= 20 && saved.includes(`line-${lastShown + 3}\n`);
      }, 'lines saved but not yet in the thread');
      first.child.kill('SIGKILL');
      await first.exited;
      const second = await start();
      const done = await eventually(() => topLevel(/job #1 on demo: succeeded/), 'job done', 60_000);
      const file = await eventually(
        () => fake.files.find((candidate) => candidate.completed && candidate.threadTs === done.ts),
        'log attached',
      );
      const workDir = fs.readdirSync(path.join(dataDir, 'clusters'))[0] ?? '';
      const onNode = fs.readFileSync(
        path.join(dataDir, 'clusters', workDir, 'work', 'shared', '.mpibox', 'jobs', '1', 'log'),
      );
      // The log lines; the job's cost note (its own reply after the log) is checked apart.
      const costNote = threadOf(job.ts).filter((message) => /^Job #1 ran /.test(message.text));
      const lines = threadOf(job.ts)
        .filter((message) => !/^Job #1 ran /.test(message.text))
        .flatMap((message) => message.text.split('\n'))
        .filter((line) => line !== '');
      await slash('down demo --yes');
      await eventually(() => topLevel(/Cluster demo is deleted/), 'cluster deleted');
      second.child.kill('SIGTERM');
      await second.exited;

      expect(accountFor(lines, EXPECTED)).toBe(LINES);
      expect(costNote.map((message) => message.text)).toEqual([
        expect.stringMatching(/^Job #1 ran \d+ s on 1 × local: (<\$0\.01|\$\d+\.\d\d)\.$/),
      ]);
      expect(lines.filter((line) => line.startsWith('line-')).length).toBeGreaterThan(LINES / 2);
      expect(file.bytes?.equals(onNode)).toBe(true);
    },
  );
});
