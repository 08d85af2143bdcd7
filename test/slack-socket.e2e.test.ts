import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACK_DEADLINE_IN_MS,
  blockActionPayload,
  slashCommandPayload,
  startFakeSlack,
  type FakeSlack,
  type StoredMessage,
} from './fake-slack/index.ts';
import { BotProcess } from './support/bot-process.ts';
import { makeTempDir, testBasePort } from './support/local-fixtures.ts';
import { eventually, freePort, onTimeoutDescribe } from './support/slack-bot.ts';

const CHANNEL = 'C1';

interface ButtonElement {
  action_id: string;
  value: string;
}

/** The buttons of a posted message, as Slack would show them. */
function buttonsOf(message: StoredMessage): ButtonElement[] {
  return (message.blocks ?? []).flatMap((block) => {
    const { type, elements } = block as { type: string; elements?: ButtonElement[] };
    return type === 'actions' ? (elements ?? []) : [];
  });
}

describe('Slack surface end to end in Socket Mode (real Bolt SocketModeClient, fake Slack)', () => {
  let fake: FakeSlack;
  let bot: BotProcess;
  let responseIds = 0;
  const channel = () => fake.messages(CHANNEL);
  const topLevel = (pattern: RegExp) =>
    channel().find((message) => !message.threadTs && pattern.test(message.text));

  /** `/mpi …` over the socket, as Slack delivers it when the app has no Request URL. */
  function slash(text: string) {
    const payload = slashCommandPayload({
      text,
      user_id: 'U1',
      channel_id: CHANNEL,
      response_url: fake.responseUrl(`r${(responseIds += 1)}`),
    });
    return fake.socket.send({ type: 'slash_commands', payload });
  }

  let metricsPort = 0;

  beforeAll(async () => {
    fake = await startFakeSlack();
    metricsPort = await freePort();
    bot = new BotProcess({
      MPIBOX_METRICS_PORT: String(metricsPort),
      MPIBOX_METRICS_HOST: '127.0.0.1',
      MPIBOX_DATA_DIR: makeTempDir('mpibox-slack-socket'),
      MPIBOX_LOCAL_BASE_PORT: String(testBasePort(12)),
      SLACK_BOT_TOKEN: fake.token,
      SLACK_APP_TOKEN: fake.socket.appToken,
      SLACK_API_URL: fake.apiUrl,
    });
    onTimeoutDescribe(
      () =>
        `messages:\n${channel()
          .map((m) => `${m.ts} ${m.threadTs ?? '-'} ${m.text.slice(0, 80)}`)
          .join('\n')}\nsocket: ${JSON.stringify({
          connections: fake.socket.connections,
          violations: fake.socket.violations(),
        })}\nstderr:\n${bot.stderr.slice(-3000)}`,
    );
    await fake.socket.connected(30_000);
    await eventually(() => /mpibox started/.test(bot.stderr), 'bot started', 30_000);
  });

  afterAll(async () => {
    if (bot.child.exitCode === null && bot.child.signalCode === null) {
      bot.child.kill('SIGTERM');
      await bot.exited;
    }
    await fake.close();
  });

  it('answers /mpi help in the ack itself', async () => {
    const ack = await slash('help');

    expect(String(ack.payload?.text)).toMatch(/\/mpi up/);
    expect(fake.calls.filter((call) => call.method === 'response_url')).toEqual([]);
  });

  it(
    'up from a slash command, then the card’s Down button over the socket deletes the cluster',
    { timeout: 120_000 },
    async () => {
      const up = await slash('up 1 sock');
      expect(String(up.payload?.text)).toMatch(/Creating cluster `sock`/);
      const card = await eventually(() => topLevel(/Cluster sock is ready/), 'cluster card ready');
      const button = buttonsOf(card).find((element) => element.action_id.startsWith('cluster-down'));
      expect(button?.value).toBeTruthy();

      const payload = blockActionPayload({
        user_id: 'U1',
        channel_id: CHANNEL,
        action_id: button?.action_id ?? '',
        value: button?.value ?? '',
        message: card,
        response_url: fake.responseUrl(`r${(responseIds += 1)}`, { channel: CHANNEL, ts: card.ts }),
      });
      const click = await fake.socket.send({ type: 'interactive', payload });
      const deleted = await eventually(() => topLevel(/Cluster sock is deleted/), 'cluster deleted');

      expect(click.payload ?? {}).toEqual({}); // block_actions: Slack takes no answer in the ack
      expect(deleted.ts).toBe(card.ts); // the card is updated in place
      expect(bot.stderr.match(/local cluster terminated/g)).toHaveLength(1);
    },
  );

  it('says it is healthy while the socket is connected, and counts the commands', async () => {
    const health = await fetch(`http://127.0.0.1:${metricsPort}/healthz`);
    const body = (await health.json()) as { checks: Record<string, { status: string }> };
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();

    expect(health.status).toBe(200);
    expect(Object.keys(body.checks).sort()).toEqual(['provider', 'slack', 'store']);
    expect(body.checks.slack?.status).toBe('ok');
    expect(metrics).toMatch(/^mpibox_commands_total\{verb="help",outcome="ok"\} 1$/m);
    expect(metrics).toMatch(/^mpibox_commands_total\{verb="button:cluster-down",outcome="ok"\} 1$/m);
    expect(metrics).toMatch(/^mpibox_ack_latency_seconds_count\{kind="command"\} [1-9]/m);
  });

  it('acked every envelope in time, broke no Slack rule, and closes the socket on SIGTERM', async () => {
    bot.child.kill('SIGTERM');
    const code = await bot.exited;

    expect(fake.socket.acks.length).toBeGreaterThanOrEqual(3);
    expect(fake.socket.acks.every((ack) => (ack.latencyInMs ?? Infinity) < ACK_DEADLINE_IN_MS)).toBe(true);
    expect(fake.socket.violations()).toEqual([]);
    const errors = fake.violations().filter((call) => call.status !== 429);
    expect(errors.map((call) => `${call.method} ${call.error} ${call.detail ?? ''}`)).toEqual([]);
    expect(code).toBe(0);
    expect(fake.socket.connections).toMatchObject([{ closeCode: 1000 }]);
  });
});
