import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  signSlackRequest,
  slashCommandBody,
  startFakeSlack,
  type FakeSlack,
} from '../../../test/fake-slack/index.ts';
import { MemoryLogger } from '../../../test/fakes/harness.ts';
import { SystemClock } from '../../adapters/system/system-clock.ts';
import { openSqliteStore } from '../../adapters/store-sqlite/sqlite-store.ts';
import type { Reply } from '../../services/actor.ts';
import type { Dispatcher } from '../../services/dispatcher.ts';
import { message } from '../../services/messages.ts';
import { createSlackApp } from './slack-app.ts';

const SECRET = 'slack-app-test-secret';

describe('Slack app: answers in the ack when ready within a second, else later', () => {
  let fake: FakeSlack;
  let stop: () => Promise<void>;
  let url: string;
  /** How long the stub dispatcher takes per command. */
  let delayInMs = 0;
  /** Commands the stub dispatcher ran. */
  let ran: string[] = [];

  beforeEach(async () => {
    fake = await startFakeSlack();
    ran = [];
    const dispatcher = {
      command: async (_actor: unknown, text: string): Promise<Reply> => {
        ran.push(text);
        await new Promise((resolve) => setTimeout(resolve, delayInMs));
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
      clock: new SystemClock(),
      logger: new MemoryLogger(),
    });
    const server = await slack.start();
    url = `http://127.0.0.1:${server.port}/slack/events`;
    stop = server.stop;
  });
  afterEach(async () => {
    await stop();
    await fake.close();
  });

  async function slash(text: string, responseId: string) {
    const body = slashCommandBody({
      text,
      user_id: 'U1',
      channel_id: 'C1',
      response_url: fake.responseUrl(responseId),
    });
    const headers = {
      'content-type': 'application/x-www-form-urlencoded',
      ...signSlackRequest(SECRET, body),
    };
    const started = performance.now();
    const response = await fetch(url, { method: 'POST', headers, body });
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      body: await response.text(),
      ms: performance.now() - started,
    };
  }

  it('puts a quick answer in the acknowledgement itself', async () => {
    delayInMs = 10;

    const ack = await slash('status', 'r-quick');

    expect(ack.status).toBe(200);
    expect(ack.type).toBe('application/json'); // Slack reads a JSON body only with this type
    expect(JSON.parse(ack.body)).toMatchObject({ response_type: 'ephemeral', text: 'answer to /mpi status' });
    expect(fake.responses('r-quick')).toEqual([]);
  });

  it('acknowledges a slow command with "Working on it…" within about a second, then answers through response_url', async () => {
    delayInMs = 1800;

    const ack = await slash('up 2 demo', 'r-slow');
    const acked = performance.now();
    while (fake.responses('r-slow').length === 0 && performance.now() - acked < 5000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    expect(JSON.parse(ack.body)).toMatchObject({ response_type: 'ephemeral', text: 'Working on it…' });
    expect(ack.ms).toBeGreaterThan(900);
    expect(ack.ms).toBeLessThan(2000); // well inside Slack's 3 s
    expect(fake.responses('r-slow').map((record) => record.body)).toEqual([
      expect.objectContaining({ text: 'answer to /mpi up 2 demo', replace_original: true }),
    ]);
  });

  it('answers 404 to any other path or method, and keeps serving', async () => {
    const headers = { 'x-slack-signature': `v0=${'a'.repeat(64)}`, 'x-slack-request-timestamp': '1' };

    const other = await fetch(url.replace('/slack/events', '/anything'), { headers });
    const get = await fetch(url, { headers });
    delayInMs = 0;
    const after = await slash('status', 'r-after');

    expect([other.status, get.status, after.status]).toEqual([404, 404, 200]);
  });

  it('does not remember a signature never checked (ssl_check)', async () => {
    const body = 'ssl_check=1&token=x';
    const headers = {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-signature': `v0=${'b'.repeat(64)}`,
      'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)),
    };

    const statuses = [];
    for (let round = 0; round < 2; round += 1)
      statuses.push((await fetch(url, { method: 'POST', headers, body })).status);

    expect(statuses).toEqual([200, 200]); // the second is not refused as a replay: nothing was kept
  });

  it('refuses a replay of a genuine command whose first sender hung up before the answer', async () => {
    delayInMs = 1500;
    const body = slashCommandBody({
      text: 'run -- ./once',
      user_id: 'U1',
      channel_id: 'C1',
      response_url: fake.responseUrl('r-drop'),
    });
    const headers = {
      'content-type': 'application/x-www-form-urlencoded',
      ...signSlackRequest(SECRET, body),
    };
    const hangUp = new AbortController();
    const first = fetch(url, { method: 'POST', headers, body, signal: hangUp.signal }).catch(() => null);
    setTimeout(() => hangUp.abort(), 300);
    await first;

    const replay = await fetch(url, { method: 'POST', headers, body });

    expect(replay.status).toBe(401);
    expect(ran).toEqual(['/mpi run -- ./once']);
  });
});
