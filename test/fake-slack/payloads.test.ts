import { verifySlackRequest } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { blockActionBody, signSlackRequest, slashCommandBody } from './index.ts';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';

/** Bolt's own check, fed the headers as Node delivers them (lower-case names). */
function boltAccepts(body: string, headers: Record<string, string>, nowMs = Date.now()): boolean {
  try {
    verifySlackRequest({
      signingSecret: SECRET,
      body,
      nowMilliseconds: nowMs,
      headers: {
        'x-slack-request-timestamp': Number(headers['X-Slack-Request-Timestamp']),
        'x-slack-signature': headers['X-Slack-Signature']!,
      },
    });
    return true;
  } catch {
    return false;
  }
}

describe('Slack request builders and signing', () => {
  it('signs the way Bolt verifies', () => {
    const body = slashCommandBody({ text: 'up a', user_id: 'U0PERSON001', channel_id: 'C0123456789' });

    const headers = { ...signSlackRequest(SECRET, body) };

    expect(headers['X-Slack-Signature']).toMatch(/^v0=[0-9a-f]{64}$/);
    expect(boltAccepts(body, headers)).toBe(true);
    expect(boltAccepts(`${body}&text=tampered`, headers)).toBe(false);
  });

  it('matches the worked example of Slack’s signing documentation', () => {
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';

    const headers = signSlackRequest(SECRET, body, 1531420618);

    expect(headers['X-Slack-Signature']).toBe(
      'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    );
  });

  it('signs with an old timestamp that Bolt refuses as a replay', () => {
    const body = slashCommandBody({ user_id: 'U0PERSON001', channel_id: 'C0123456789' });
    const sixMinutesAgo = Math.floor(Date.now() / 1000) - 6 * 60;

    const headers = { ...signSlackRequest(SECRET, body, sixMinutesAgo) };

    expect(boltAccepts(body, headers)).toBe(false);
  });

  it('builds a slash command form as Slack sends it', () => {
    const body = slashCommandBody({
      text: 'run a -n 4 ./hello',
      user_id: 'U0PERSON001',
      channel_id: 'C0123456789',
      response_url: 'http://127.0.0.1:1/response/r1',
      trigger_id: '1.2.ab',
    });

    const fields = Object.fromEntries(new URLSearchParams(body));

    expect(fields).toMatchObject({
      command: '/mpi',
      text: 'run a -n 4 ./hello',
      user_id: 'U0PERSON001',
      channel_id: 'C0123456789',
      team_id: 'T0FAKETEAM1',
      response_url: 'http://127.0.0.1:1/response/r1',
      trigger_id: '1.2.ab',
    });
  });

  it('builds a block_actions form with the JSON payload in `payload`', () => {
    const body = blockActionBody({
      user_id: 'U0PERSON001',
      channel_id: 'C0123456789',
      action_id: 'cluster-down',
      value: 'a',
      message: { ts: '1732530000.000100', text: 'Down a?' },
    });

    const payload: unknown = JSON.parse(new URLSearchParams(body).get('payload')!);

    expect(payload).toMatchObject({
      type: 'block_actions',
      user: { id: 'U0PERSON001' },
      channel: { id: 'C0123456789' },
      container: { type: 'message', message_ts: '1732530000.000100', channel_id: 'C0123456789' },
      message: { ts: '1732530000.000100', text: 'Down a?' },
      actions: [{ action_id: 'cluster-down', value: 'a', type: 'button' }],
    });
  });
});
