import { WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeSlackClient, slackErrorOf, startFakeSlack, type FakeSlack } from './index.ts';

const CHANNEL = 'C0123456789';
const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

describe('fake Slack chat and auth methods', () => {
  let fake: FakeSlack;
  let client: WebClient;

  beforeEach(async () => {
    // Rate limits have their own tests; a roomy bucket keeps these fast.
    const rateLimit = { burst: 50 };
    fake = await startFakeSlack({
      missingChannels: ['C0GONE00001'],
      archivedChannels: ['C0OLD000001'],
      channelsWithoutBot: ['C0NOBOT0001'],
      rateLimit,
    });
    client = fakeSlackClient(fake);
  });
  afterEach(() => fake.close());

  it('answers auth.test with the bot identity', async () => {
    const result = await client.auth.test();

    expect(result).toMatchObject({ ok: true, user_id: fake.bot.userId, bot_id: fake.bot.botId });
    expect(result.team_id).toBe(fake.bot.teamId);
  });

  it('refuses a missing token with not_authed and an unknown one with invalid_auth', async () => {
    const stranger = new WebClient('xoxb-stranger', {
      slackApiUrl: fake.apiUrl,
      retryConfig: { retries: 0 },
    });

    const missing = await slackErrorOf(new WebClient(undefined, { slackApiUrl: fake.apiUrl }).auth.test());
    const unknown = await slackErrorOf(stranger.auth.test());

    expect([missing, unknown]).toEqual(['not_authed', 'invalid_auth']);
  });

  it('posts a message, answers in Slack shape and stores it', async () => {
    const result = await client.chat.postMessage({
      channel: CHANNEL,
      text: 'hello',
      blocks: [section('hi')],
    });

    expect(result).toMatchObject({ ok: true, channel: CHANNEL, message: { type: 'message', text: 'hello' } });
    expect(result.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(fake.messages(CHANNEL)).toMatchObject([{ ts: result.ts, text: 'hello', blocks: [section('hi')] }]);
  });

  it('issues unique, increasing ts values', async () => {
    const first = await client.chat.postMessage({ channel: CHANNEL, text: 'one' });

    const second = await client.chat.postMessage({ channel: CHANNEL, text: 'two' });

    expect(Number(second.ts)).toBeGreaterThan(Number(first.ts));
  });

  it('threads a reply under an existing parent and refuses unknown parents', async () => {
    const parent = await client.chat.postMessage({ channel: CHANNEL, text: 'parent' });

    const reply = await client.chat.postMessage({ channel: CHANNEL, text: 'reply', thread_ts: parent.ts });
    const replyTo = (thread_ts: string) =>
      slackErrorOf(client.chat.postMessage({ channel: CHANNEL, text: 'x', thread_ts }));
    const orphan = await replyTo('1700000000.000100');
    const nested = await replyTo(reply.ts!);
    const malformed = await replyTo('yesterday');

    expect(reply.message).toMatchObject({ thread_ts: parent.ts, parent_user_id: fake.bot.userId });
    expect([orphan, nested, malformed]).toEqual([
      'thread_not_found',
      'thread_not_found',
      'invalid_thread_ts',
    ]);
    expect(fake.messages(CHANNEL).map((m) => [m.text, m.threadTs])).toEqual([
      ['parent', undefined],
      ['reply', parent.ts],
    ]);
  });

  it('answers channel_not_found for configured missing channels and names', async () => {
    const missing = await slackErrorOf(client.chat.postMessage({ channel: 'C0GONE00001', text: 'x' }));

    const byName = await slackErrorOf(client.chat.postMessage({ channel: '#general', text: 'x' }));

    expect([missing, byName]).toEqual(['channel_not_found', 'channel_not_found']);
  });

  it('refuses posts in a channel the bot was not invited to', async () => {
    const refused = await slackErrorOf(client.chat.postMessage({ channel: 'C0NOBOT0001', text: 'x' }));
    const elsewhere = await client.chat.postMessage({ channel: CHANNEL, text: 'x' });

    expect(refused).toBe('not_in_channel');
    expect(elsewhere.ok).toBe(true);
  });

  it('refuses new posts in an archived channel', async () => {
    const post = client.chat.postMessage({ channel: 'C0OLD000001', text: 'x' });

    await expect(post).rejects.toMatchObject({ data: { error: 'is_archived' } });
  });

  it('updates a message, keeping its history, and refuses unknown ts', async () => {
    const posted = await client.chat.postMessage({ channel: CHANNEL, text: 'v1', blocks: [section('v1')] });

    const updated = await client.chat.update({ channel: CHANNEL, ts: posted.ts!, text: 'v2' });
    const unknown = await slackErrorOf(
      client.chat.update({ channel: CHANNEL, ts: '1700000000.000100', text: 'x' }),
    );

    expect(updated).toMatchObject({ ok: true, channel: CHANNEL, ts: posted.ts, text: 'v2' });
    expect(unknown).toBe('message_not_found');
    const [message] = fake.messages(CHANNEL);
    expect(message).toMatchObject({ text: 'v2', blocks: [section('v1')], edits: [{ text: 'v1' }] });
  });

  it('removes blocks on update only when given an empty array', async () => {
    const posted = await client.chat.postMessage({ channel: CHANNEL, text: 'v1', blocks: [section('v1')] });

    await client.chat.update({ channel: CHANNEL, ts: posted.ts!, text: 'v2', blocks: [] });

    expect(fake.messages(CHANNEL)[0]?.blocks).toBeUndefined();
  });

  it('records ephemeral messages apart from the channel history', async () => {
    const result = await client.chat.postEphemeral({ channel: CHANNEL, user: 'U0PERSON001', text: 'psst' });

    expect(result).toMatchObject({ ok: true, message_ts: expect.stringMatching(/^\d+\.\d{6}$/) });
    expect(fake.ephemerals(CHANNEL)).toMatchObject([{ user: 'U0PERSON001', text: 'psst' }]);
    expect(fake.messages(CHANNEL)).toEqual([]);
  });

  it('accepts JSON bodies as well as forms', async () => {
    const init = {
      method: 'POST',
      headers: { Authorization: `Bearer ${fake.token}`, 'Content-Type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ channel: CHANNEL, text: 'json', blocks: [section('json')] }),
    };

    const answer = await (await fetch(`${fake.apiUrl}chat.postMessage`, init)).json();

    expect(answer).toMatchObject({ ok: true, message: { blocks: [section('json')] } });
  });

  it('answers unknown_method for methods it does not implement', async () => {
    const call = client.apiCall('conversations.members', { channel: CHANNEL });

    await expect(call).rejects.toMatchObject({ data: { error: 'unknown_method' } });
    expect(fake.violations()).toMatchObject([{ method: 'conversations.members', error: 'unknown_method' }]);
  });
});
