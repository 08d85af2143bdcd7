import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockActionPayload, signSlackRequest, slashCommandBody } from './fake-slack/index.ts';
import {
  SIGNING_SECRET,
  dumpStore,
  eventually,
  onTimeoutDescribe,
  startSlackBot,
} from './support/slack-bot.ts';

type SlackBot = Awaited<ReturnType<typeof startSlackBot>>;

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

/** A slash command as Slack sends it, minus `omit`. */
function commandWithout(omit: string): string {
  const fields = new URLSearchParams(
    slashCommandBody({ text: 'up 1 junk', user_id: 'U6', channel_id: 'C6' }),
  );
  fields.delete(omit);
  return fields.toString();
}

/** A button click as Slack sends it, with `change` applied to its payload. */
function clickWith(change: (payload: Record<string, unknown>) => void): string {
  const payload = blockActionPayload({
    user_id: 'U6',
    channel_id: 'C6',
    action_id: 'cluster-down',
    value: 'junk',
    message: { ts: '1700000000.000100' },
  });
  change(payload);
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** Signed with the app's real secret: only their shape is wrong. */
const MALFORMED: [string, string, string][] = [
  ['a JSON body `null`', JSON_TYPE, 'null'],
  ['a form body `payload=null`', FORM, 'payload=null'],
  ['a slash command without user_id', FORM, commandWithout('user_id')],
  ['a slash command without channel_id', FORM, commandWithout('channel_id')],
  ['a button click without a user', FORM, clickWith((payload) => delete payload.user)],
  ['a button click whose user is null', FORM, clickWith((payload) => (payload.user = null))],
  ['a button click without actions', FORM, clickWith((payload) => (payload.actions = null))],
  ['a button click whose channel has no id', FORM, clickWith((payload) => (payload.channel = {}))],
  ['a JSON array', JSON_TYPE, '[]'],
  ['a JSON string', JSON_TYPE, '"event_callback"'],
  ['a JSON number', JSON_TYPE, '1'],
  ['an empty JSON object', JSON_TYPE, '{}'],
  ['an event callback whose event is null', JSON_TYPE, '{"type":"event_callback","event":null}'],
  [
    'App Home opened without a user',
    JSON_TYPE,
    '{"type":"event_callback","event":{"type":"app_home_opened"}}',
  ],
  ['a form body `payload=[]`', FORM, 'payload=%5B%5D'],
  ['a form body `payload=true`', FORM, 'payload=true'],
  ['an empty form body', FORM, ''],
  ['a form body of bare keys', FORM, 'command&user_id&channel_id'],
];

describe('Slack HTTP surface against signed junk and odd timestamps (real bot process)', () => {
  let s: SlackBot;
  const alive = () => s.bot.child.exitCode === null && s.bot.child.signalCode === null;

  beforeAll(async () => {
    s = await startSlackBot('hostile', 31);
    onTimeoutDescribe(() => `stderr:\n${s.bot.stderr.slice(-3000)}`);
    // The first answer records the user; from then on nothing here should write.
    expect((await s.slash('help', 'U0WARMUP')).status).toBe(200);
    await eventually(() => s.auditOf('U0WARMUP').length > 0, 'the warm-up audited');
  });

  afterAll(async () => {
    await s.stop();
  });

  it.each(MALFORMED)('answers %s with 400, changes nothing and keeps running', async (_what, type, body) => {
    const before = { store: dumpStore(s.dataDir), calls: s.fake.calls.length };

    const answer = await s.post(body, (signed) => ({
      ...signSlackRequest(SIGNING_SECRET, signed),
      'content-type': type,
    }));
    await new Promise((resolve) => setTimeout(resolve, 200)); // anything it set off would show by now

    expect([answer.status, answer.text]).toEqual([400, '']);
    expect(alive()).toBe(true);
    expect(dumpStore(s.dataDir)).toEqual(before.store);
    expect(s.fake.calls.slice(before.calls).map((call) => call.method)).toEqual([]);
  });

  it('refuses a timestamp ahead of our clock by more than a minute, or not a number, with 401', async () => {
    const before = { store: dumpStore(s.dataDir), calls: s.fake.calls.length };
    const body = slashCommandBody({ text: 'list', user_id: 'U5', channel_id: 'C5' });
    const nowInSeconds = Math.floor(Date.now() / 1000);
    const stamped = (timestamp: number) =>
      s.post(body, (b) => ({ ...signSlackRequest(SIGNING_SECRET, b, timestamp) }));

    const statuses = [
      (await stamped(nowInSeconds + 3600)).status,
      (await stamped(nowInSeconds + 3600)).status, // its replay, for good measure
      (await stamped(nowInSeconds + 90)).status,
      (await stamped(Infinity)).status,
      (await stamped(NaN)).status,
      (await stamped(-Infinity)).status,
    ];
    await new Promise((resolve) => setTimeout(resolve, 200));

    expect(statuses).toEqual([401, 401, 401, 401, 401, 401]);
    expect(dumpStore(s.dataDir)).toEqual(before.store);
    expect(s.fake.calls.slice(before.calls)).toEqual([]);
    expect(alive()).toBe(true);
  });

  it('still accepts a timestamp a little ahead of our clock (Slack’s clock may run fast)', async () => {
    const body = slashCommandBody({ text: 'list', user_id: 'U4', channel_id: 'C4' });

    const ahead = await s.post(body, (b) => ({
      ...signSlackRequest(SIGNING_SECRET, b, Math.floor(Date.now() / 1000) + 30),
    }));
    const replay = await s.post(body, () => ahead.headers);

    expect([ahead.status, replay.status]).toEqual([200, 401]);
    await eventually(() => s.auditOf('U4').length > 0, 'the /mpi list audited');
    expect(s.auditOf('U4')).toEqual([{ text: '/mpi list', result: 'ok' }]);
  });

  it('is still alive and answering after all of it', async () => {
    const help = await s.slash('help', 'U3');

    expect(alive()).toBe(true);
    expect(help.status).toBe(200);
    expect(help.text).toMatch(/\/mpi up/);
    expect(s.bot.stderr).not.toMatch(/fatal|TypeError/);
  });
});
