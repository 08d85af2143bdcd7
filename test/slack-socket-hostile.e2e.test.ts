import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  blockActionPayload,
  slashCommandPayload,
  startFakeSlack,
  type FakeSlack,
  type SocketEnvelopeInput,
} from './fake-slack/index.ts';
import { BotProcess } from './support/bot-process.ts';
import { makeTempDir, testBasePort } from './support/local-fixtures.ts';
import { dumpStore, eventually, onTimeoutDescribe } from './support/slack-bot.ts';

const command = (omit: string) => {
  const payload: Record<string, unknown> = slashCommandPayload({
    text: 'up 1 junk',
    user_id: 'U6',
    channel_id: 'C6',
  });
  delete payload[omit];
  return payload;
};
const click = blockActionPayload({
  user_id: 'U6',
  channel_id: 'C6',
  action_id: 'cluster-down',
  value: 'junk',
  message: { ts: '1700000000.000100' },
});

/** Envelopes Slack would never send; the app must ack them (empty) and do nothing. */
const MALFORMED: [string, SocketEnvelopeInput][] = [
  ['a slash command whose payload is null', { type: 'slash_commands', payload: null }],
  ['a slash command without user_id', { type: 'slash_commands', payload: command('user_id') }],
  ['a slash command without channel_id', { type: 'slash_commands', payload: command('channel_id') }],
  ['an interaction whose payload is null', { type: 'interactive', payload: null }],
  ['an interaction whose payload is a string', { type: 'interactive', payload: 'garbage' }],
  ['a button click without a user', { type: 'interactive', payload: { ...click, user: undefined } }],
  ['a button click whose user is null', { type: 'interactive', payload: { ...click, user: null } }],
  [
    'an App Home event without a user',
    { type: 'events_api', payload: { type: 'event_callback', event: { type: 'app_home_opened' } } },
  ],
];

/** Frames the Socket Mode client itself cannot read: it throws in its own handler, unawaited. */
const UNREADABLE = [
  'null',
  '"hello"',
  '42',
  'not json at all',
  '{"type":"events_api","envelope_id":"e-null","payload":null}',
  '{"type":"events_api","envelope_id":"e-no-event","payload":{"event":null}}',
];

describe('Slack Socket Mode surface against junk envelopes (real bot process)', () => {
  let fake: FakeSlack;
  let bot: BotProcess;
  let dataDir: string;
  const alive = () => bot.child.exitCode === null && bot.child.signalCode === null;

  beforeAll(async () => {
    fake = await startFakeSlack();
    dataDir = makeTempDir('mpibox-slack-socket-hostile');
    bot = new BotProcess({
      MPIBOX_DATA_DIR: dataDir,
      MPIBOX_LOCAL_BASE_PORT: String(testBasePort(32)),
      SLACK_BOT_TOKEN: fake.token,
      SLACK_APP_TOKEN: fake.socket.appToken,
      SLACK_API_URL: fake.apiUrl,
    });
    onTimeoutDescribe(() => `stderr:\n${bot.stderr.slice(-3000)}`);
    await fake.socket.connected(30_000);
    await eventually(() => /mpibox started/.test(bot.stderr), 'bot started', 30_000);
    // The first answer records the user; from then on nothing here should write.
    const payload = slashCommandPayload({ text: 'help', user_id: 'U0WARMUP', channel_id: 'C1' });
    await fake.socket.send({ type: 'slash_commands', payload });
  });

  afterAll(async () => {
    if (alive()) {
      bot.child.kill('SIGTERM');
      await bot.exited;
    }
    await fake.close();
  });

  it.each(MALFORMED)('acks %s empty, changes nothing and keeps running', async (_what, envelope) => {
    const before = { store: dumpStore(dataDir), calls: fake.calls.length };

    const ack = await fake.socket.send(envelope);
    await new Promise((resolve) => setTimeout(resolve, 200)); // anything it set off would show by now

    expect(ack.payload ?? {}).toEqual({});
    expect(alive()).toBe(true);
    expect(dumpStore(dataDir)).toEqual(before.store);
    expect(fake.calls.slice(before.calls).map((call) => call.method)).toEqual([]);
  });

  it('survives frames its Socket Mode client cannot read, logging them', async () => {
    const before = { store: dumpStore(dataDir), calls: fake.calls.length };

    for (const frame of UNREADABLE) fake.socket.sendRaw(frame);
    await new Promise((resolve) => setTimeout(resolve, 500));

    expect(alive()).toBe(true);
    expect(dumpStore(dataDir)).toEqual(before.store);
    expect(fake.calls.slice(before.calls)).toEqual([]);
    expect(bot.stderr).toMatch(/"level":"error","message":"unhandled rejection"/);
  });

  it('is still connected and answering after all of it, and broke no Slack rule', async () => {
    const payload = slashCommandPayload({ text: 'help', user_id: 'U3', channel_id: 'C1' });

    const ack = await fake.socket.send({ type: 'slash_commands', payload });

    expect(alive()).toBe(true);
    expect(String(ack.payload?.text)).toMatch(/\/mpi up/);
    expect(fake.socket.connections).toHaveLength(1); // never dropped
    expect(fake.socket.violations()).toEqual([]);
  });
});
