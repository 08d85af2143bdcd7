import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  appHomeOpenedEvent,
  signSlackRequest,
  slashCommandBody,
  startFakeSlack,
  type FakeSlack,
} from '../../../test/fake-slack/index.ts';
import { FakeClock } from '../../../test/fakes/fake-clock.ts';
import { MemoryLogger } from '../../../test/fakes/harness.ts';
import { openSqliteStore } from '../../adapters/store-sqlite/sqlite-store.ts';
import type { Reply } from '../../services/actor.ts';
import type { Dispatcher } from '../../services/dispatcher.ts';
import { message } from '../../services/messages.ts';
import { createSlackApp } from './slack-app.ts';

const SECRET = 'slack-http-server-test-secret';
const FORM = 'application/x-www-form-urlencoded';
const MINUTE_IN_MS = 60_000;

describe('startSlackHttpServer (through createSlackApp, on a fake clock)', () => {
  let fake: FakeSlack;
  let clock: FakeClock;
  let logger: MemoryLogger;
  let stop: () => Promise<void>;
  let url: string;
  /** Commands the stub dispatcher ran. */
  let ran: string[];

  beforeEach(async () => {
    fake = await startFakeSlack();
    clock = new FakeClock(); // far from the real clock: only ours may judge a timestamp
    logger = new MemoryLogger();
    ran = [];
    const dispatcher = {
      command: async (_actor: unknown, text: string): Promise<Reply> => {
        ran.push(text);
        return { visibility: 'ephemeral', message: message(`answer to ${text}`) };
      },
    } as unknown as Dispatcher;
    const slack = createSlackApp({
      transport: { kind: 'http', signingSecret: SECRET, port: 0 },
      botToken: fake.token,
      apiUrl: fake.apiUrl,
      identity: { botId: 'B1', botUserId: 'UBOT' },
      dispatcher,
      store: openSqliteStore(':memory:'),
      clock,
      logger,
    });
    const server = await slack.start();
    url = `http://127.0.0.1:${server.port}/slack/events`;
    stop = server.stop;
  });
  afterEach(async () => {
    await stop();
    await fake.close();
  });

  const nowInSeconds = () => Math.floor(clock.nowInMs() / 1000);

  async function post(body: string, headers: Record<string, string>) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': FORM, ...headers },
      body,
    });
    return { status: response.status, text: await response.text() };
  }

  it('refuses a request stamped an hour ahead, and its replay seven minutes later', async () => {
    const body = slashCommandBody({ text: 'status', user_id: 'U1', channel_id: 'C1' });
    const headers = { ...signSlackRequest(SECRET, body, nowInSeconds() + 3600) };

    const first = await post(body, headers);
    const replay = await post(body, headers);
    clock.advance(7 * MINUTE_IN_MS);
    const later = await post(body, headers);

    expect([first.status, replay.status, later.status]).toEqual([401, 401, 401]);
    expect(ran).toEqual([]);
  });

  it('refuses the replay of a genuine request now and seven minutes later (then as too old)', async () => {
    const body = slashCommandBody({ text: 'status', user_id: 'U1', channel_id: 'C1' });
    const headers = { ...signSlackRequest(SECRET, body, nowInSeconds()) };

    const first = await post(body, headers);
    const replay = await post(body, headers);
    clock.advance(7 * MINUTE_IN_MS);
    const later = await post(body, headers);

    expect([first.status, replay.status, later.status]).toEqual([200, 401, 401]);
    expect(ran).toEqual(['/mpi status']);
  });

  it('answers ssl_check itself, and never acts on the rest of its body', async () => {
    const smuggled = `ssl_check=1&${slashCommandBody({ text: 'up 1 evil', user_id: 'U1', channel_id: 'C1' })}`;
    const headers = {
      'x-slack-signature': `v0=${'b'.repeat(64)}`,
      'x-slack-request-timestamp': String(nowInSeconds()),
    };

    const answers = [await post(smuggled, headers), await post(smuggled, headers)];

    expect(answers).toEqual([
      { status: 200, text: '' },
      { status: 200, text: '' }, // not refused as a replay: a signature never checked is not kept
    ]);
    expect(ran).toEqual([]);
  });

  it('answers 400 to a signed body that is not JSON or not a request it serves, and logs which field', async () => {
    const sign = (body: string, type: string) => ({
      ...signSlackRequest(SECRET, body, nowInSeconds()),
      'content-type': type,
    });
    const noUser = slashCommandBody({ text: 'status', user_id: '', channel_id: 'C1' });

    const answers = [
      await post('{not json', sign('{not json', 'application/json')),
      await post('payload=%7B', sign('payload=%7B', FORM)),
      await post(noUser, sign(noUser, FORM)),
    ];

    expect(answers.map((answer) => answer.status)).toEqual([400, 400, 400]);
    expect(ran).toEqual([]);
    expect(logger.lines.filter((line) => line.message === 'malformed slack request refused')).toEqual([
      {
        level: 'warn',
        message: 'malformed slack request refused',
        meta: { problem: 'not JSON', transport: 'http' },
      },
      {
        level: 'warn',
        message: 'malformed slack request refused',
        meta: { problem: 'not JSON', transport: 'http' },
      },
      {
        level: 'warn',
        message: 'malformed slack request refused',
        meta: { problem: 'user_id: invalid_format', transport: 'http' },
      },
    ]);
  });

  it('answers an event it never subscribed to with an empty 200 at once', async () => {
    const body = JSON.stringify({
      ...appHomeOpenedEvent({ user_id: 'U1' }),
      event: { type: 'app_uninstalled' },
    });
    const headers = { ...signSlackRequest(SECRET, body, nowInSeconds()), 'content-type': 'application/json' };

    const answer = await post(body, headers);

    expect(answer).toEqual({ status: 200, text: '' });
    expect(fake.calls).toEqual([]);
  });

  it('answers 413 to a signed body over Bolt’s 4 MB limit', async () => {
    const body = `command=%2Fmpi&text=${'x'.repeat(4 * 1024 * 1024)}&user_id=U1&channel_id=C1`;

    const answer = await post(body, { ...signSlackRequest(SECRET, body, nowInSeconds()) });

    expect(answer.status).toBe(413);
    expect(ran).toEqual([]);
  });
});
