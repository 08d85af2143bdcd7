import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slashCommandBody, startFakeSlack, signSlackRequest } from './fake-slack/index.ts';
import { startFakeArm } from './fake-arm/index.ts';
import { BotProcess } from './support/bot-process.ts';
import { fakeAzureCli } from './support/fake-az-cli.ts';
import { makeTempDir, testBasePort } from './support/local-fixtures.ts';
import {
  leaksIn,
  makeBotSecrets,
  makeSecretCatalogue,
  type SecretSample,
} from './support/secret-catalogue.ts';
import { eventually, startSlackBot } from './support/slack-bot.ts';

const bot = makeBotSecrets();
const catalogue = makeSecretCatalogue(bot);
/** What a user could type on one line: the key files with their line breaks as spaces. */
const typed = catalogue.map((sample) => sample.value.replace(/\s+/g, ' '));
const jwt = catalogue.find((sample) => sample.name === 'Bearer JWT')!.secretParts[0]!;
const sasUrl = catalogue.find((sample) => sample.name === 'SAS URL')!.value;
const connectionString = catalogue.find((sample) => sample.name === 'storage connection string')!.value;
/** Every secret, and the ARM access token too. */
const everything: SecretSample[] = [
  ...catalogue,
  { name: 'ARM access token', value: jwt, secretParts: [jwt], publicParts: [] },
];

/**
 * Secrets under 40 characters (a signing secret) come back whole when typed where a name goes:
 * the parser quotes an invalid word in its answer, cut at 40 characters (commands/echo.ts).
 */
const short = everything.filter((sample) => sample.value.length < 40);
const withoutShort = everything.filter((sample) => sample.value.length >= 40);
const QUOTED_BACK =
  'KNOWN LEAK: quotes back a short secret typed as a cluster name (commands/echo.ts); make this `it` once fixed';

/** The console's own echo of what was typed (`> /mpi …`) is the user's input, not the bot's output. */
const withoutEcho = (stdout: string) =>
  stdout
    .split('\n')
    .filter((line) => !line.startsWith('> '))
    .join('\n');

/** Every line the bot wrote on stderr that is a log line, parsed; a line that is not JSON fails. */
function logLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('no secret reaches a log line or a chat message (real bot processes)', () => {
  describe('console, local provider, debug logging: commands carrying every kind of secret', () => {
    let running: BotProcess;
    let code: number | null;

    beforeAll(async () => {
      running = new BotProcess({
        MPIBOX_DATA_DIR: makeTempDir('mpibox-redaction-console'),
        MPIBOX_LOCAL_BASE_PORT: String(testBasePort(45)),
        MPIBOX_LOG_LEVEL: 'debug',
      });
      for (const text of typed) {
        running.send(`/mpi status ${text}`);
        running.send(`/mpi key add ${text}`);
        running.send(`/mpi run nosuch -- echo ${text}`);
        running.send(`/mpi logs ${text}`);
      }
      code = await running.end();
    }, 60_000);

    it('writes none of them to the log', () => {
      expect(code, running.stderr).toBe(0);
      expect(logLines(running.stderr).some((line) => line.message === 'mpibox started')).toBe(true);
      expect(leaksIn(running.stderr, everything)).toEqual([]);
    });

    it('answers without them, but for a short one typed as a name', () => {
      expect(leaksIn(withoutEcho(running.stdout), withoutShort)).toEqual([]);
    });

    it(QUOTED_BACK, () => {
      expect(leaksIn(withoutEcho(running.stdout), short)).toEqual([]);
    });
  });

  describe('local provider: mpiexec fails and says secrets', () => {
    let running: BotProcess;

    beforeAll(async () => {
      const dir = makeTempDir('mpibox-redaction-mpiexec');
      const launcher = path.join(dir, 'mpiexec');
      const said = `cannot reach ${sasUrl} with ${connectionString}, Authorization: Bearer ${jwt}, ${bot.botToken}`;
      fs.writeFileSync(launcher, `#!/bin/sh\necho '${said}' >&2\nexit 3\n`, { mode: 0o755 });
      running = new BotProcess({
        MPIBOX_DATA_DIR: path.join(dir, 'data'),
        MPIBOX_LOCAL_BASE_PORT: String(testBasePort(48)),
        MPIBOX_LOG_LEVEL: 'debug',
        MPIBOX_LOCAL_MPIEXEC: launcher,
      });
      running.send('/mpi up 1 check');
      await running.waitFor(/Cluster check (failed|is ready)/, 60_000);
      await running.end();
    }, 90_000);

    it('writes none of them to the log, and keeps the rest of what mpiexec said', () => {
      const failed = logLines(running.stderr).find((line) => line.message === 'cluster creation failed');

      expect(leaksIn(running.stderr, everything)).toEqual([]);
      expect(failed).toMatchObject({
        clusterId: expect.stringMatching(/^check-/),
        error: { code: 'provider', fields: { check: true, reason: expect.stringContaining('[redacted]') } },
      });
    });

    // KNOWN LEAK, outside the logger: mpiexec's words (`reason`) go as they came into the
    // cluster card's "Problem:" line (services/explain.ts). Make this `it` once scrubbed there.
    it('writes none of them to the chat', () => {
      expect(leaksIn(withoutEcho(running.stdout), everything)).toEqual([]);
    });
  });

  describe('Azure mode: the cloud refuses with an error that quotes secrets', () => {
    let running: BotProcess;

    beforeAll(async () => {
      const fake = await startFakeArm({ token: jwt });
      const dataDir = makeTempDir('mpibox-redaction-azure');
      fake.failRequest({
        method: 'PUT',
        path: /\/resourcegroups\//i,
        status: 400,
        code: 'InvalidTemplate',
        message: `Deployment failed: ${sasUrl} could not be read with ${connectionString}; header Authorization: Bearer ${jwt}; token ${bot.botToken}`,
      });
      running = new BotProcess({
        PATH: `${fakeAzureCli(dataDir, jwt)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
        MPIBOX_DATA_DIR: dataDir,
        MPIBOX_LOG_LEVEL: 'debug',
        MPIBOX_READY_TIMEOUT_SECONDS: '3',
        AZURE_SUBSCRIPTION_ID: fake.subscriptionId,
        AZURE_LOCATION: 'eastus',
        AZURE_SSH_SOURCE: '203.0.113.0/24',
        AZURE_RESOURCE_MANAGER_ENDPOINT: fake.url,
        AZURE_TOKEN_CREDENTIALS: 'AzureCliCredential',
        NODE_EXTRA_CA_CERTS: fake.certPath,
      });
      running.send('/mpi up 1 leaky');
      await running.waitFor(/Cluster leaky failed|The cloud refused/, 60_000);
      await running.end();
      await fake.close();
    }, 90_000);

    it('writes none of them to the log, nor the ARM token the SDK sent in its headers', () => {
      const lines = logLines(running.stderr);

      expect(leaksIn(running.stderr, everything)).toEqual([]);
      // The error keeps its code, fields and cause (scrubbed): only the secrets are gone.
      expect(lines.find((line) => line.message === 'cluster creation failed')).toMatchObject({
        clusterId: expect.stringMatching(/^leaky-/),
        error: {
          code: 'provider',
          fields: {
            providerCode: 'InvalidTemplate',
            providerMessage: expect.stringContaining(
              'mpiboxlogs.blob.core.windows.net/job-logs/cl-42/job-7.log?[redacted]',
            ),
          },
          cause: { name: 'RestError', code: 'InvalidTemplate', statusCode: 400 },
        },
      });
    });

    // KNOWN LEAK, outside the logger: the cloud's own message (`providerMessage`, from
    // providers/azure/azure-errors.ts) goes as it came into the cluster card's "Problem:" line
    // (services/explain.ts), a channel message. Make this `it` once it is scrubbed there.
    it('writes none of them to the chat', () => {
      expect(leaksIn(withoutEcho(running.stdout), everything)).toEqual([]);
    });
  });

  describe('Slack over HTTP: signed and forged requests carrying secrets', () => {
    let slack: Awaited<ReturnType<typeof startSlackBot>>;
    let stopped = false;
    const acks: string[] = [];

    beforeAll(async () => {
      slack = await startSlackBot(
        'redaction',
        46,
        { tokens: [bot.botToken] },
        { SLACK_SIGNING_SECRET: bot.signingSecret, MPIBOX_LOG_LEVEL: 'debug' },
      );
      const signed = (body: string) => ({ ...signSlackRequest(bot.signingSecret, body) });
      const forged = (body: string) => ({
        'X-Slack-Request-Timestamp': String(Math.floor(Date.now() / 1000)),
        'X-Slack-Signature': `v0=${createHmac('sha256', 'not-the-secret').update(body).digest('hex')}`,
      });
      await eventually(() => /mpibox started/.test(slack.bot.stderr), 'bot started', 30_000);
      let id = 0;
      for (const text of typed) {
        for (const command of [`status ${text}`, `key add ${text}`, `up 1 ${text}`]) {
          const body = slashCommandBody({
            text: command,
            user_id: 'U1',
            channel_id: 'C1',
            response_url: slack.fake.responseUrl(`r${(id += 1)}`),
          });
          acks.push((await slack.post(body, signed)).text, (await slack.post(body, forged)).text);
        }
      }
      // Slack never sends a query string; a caller who does gets refused like anyone else.
      const query = `token=${bot.botToken}&sig=${encodeURIComponent(jwt)}`;
      await fetch(`${slack.url}?${query}`, { method: 'POST', body: `secret=${bot.signingSecret}` });
      await new Promise((resolve) => setTimeout(resolve, 1000)); // answers that went by response_url
      await slack.stop();
      stopped = true;
    }, 120_000);

    afterAll(async () => {
      if (!stopped && slack !== undefined) await slack.stop();
    });

    it('writes none of them to the log', () => {
      const refused = logLines(slack.bot.stderr).filter((line) => line.level === 'warn');

      expect(refused.map((line) => line.url)).toContain('/slack/events?[redacted]');
      expect(leaksIn(`${slack.bot.stderr}\n${slack.bot.stdout}`, everything)).toEqual([]);
    });

    const sent = () => JSON.stringify([slack.fake.calls.map((call) => call.body), slack.fake.views, acks]);

    it('sends none of them to Slack (Web API calls, response_url posts, answers), but a short one typed as a name', () => {
      expect(slack.fake.calls.length).toBeGreaterThan(0);
      expect(leaksIn(sent(), withoutShort)).toEqual([]);
    });

    it(QUOTED_BACK, () => {
      expect(leaksIn(sent(), short)).toEqual([]);
    });
  });

  it(
    'Slack over Socket Mode with a revoked bot token and app token: the failures name neither',
    { timeout: 60_000 },
    async () => {
      const fake = await startFakeSlack({
        tokens: ['xoxb-0-0-someoneelse'],
        appTokens: ['xapp-0-someoneelse'],
      });
      const running = new BotProcess({
        MPIBOX_DATA_DIR: makeTempDir('mpibox-redaction-socket'),
        MPIBOX_LOCAL_BASE_PORT: String(testBasePort(47)),
        MPIBOX_LOG_LEVEL: 'debug',
        SLACK_BOT_TOKEN: bot.botToken,
        SLACK_APP_TOKEN: bot.appToken,
        SLACK_SIGNING_SECRET: bot.signingSecret,
        SLACK_API_URL: fake.apiUrl,
      });

      await eventually(
        () => running.child.exitCode !== null || fake.calls.filter((call) => !call.ok).length >= 2,
        'the bot tried Slack with its credentials',
        30_000,
      );
      await new Promise((resolve) => setTimeout(resolve, 2000));
      if (running.child.exitCode === null) running.child.kill('SIGTERM');
      await running.exited;
      await fake.close();

      expect(running.stderr.length).toBeGreaterThan(0);
      expect(leaksIn(`${running.stderr}\n${running.stdout}`, everything)).toEqual([]);
    },
  );
});
