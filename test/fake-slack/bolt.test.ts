import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, LogLevel } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  appHomeOpenedEvent,
  blockActionBody,
  FAST_RETRY,
  fakeSlackClient,
  signSlackRequest,
  slashCommandBody,
  startFakeSlack,
  type FakeSlack,
} from './index.ts';
import { addClickAndHomeListeners } from './bolt-listeners.ts';

const SECRET = 'fake-signing-secret';
const CHANNEL = 'C0BOLT00001';
const USER = 'U0PERSON001';

/** A real Bolt app wired to the fake: proves the builders, signatures and endpoints fit Bolt. */
function boltApp(fake: FakeSlack): App {
  const app = new App({
    token: fake.token,
    signingSecret: SECRET,
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl: fake.apiUrl, retryConfig: FAST_RETRY },
  });
  app.command('/mpi', async ({ ack, command, respond, client }) => {
    await ack();
    await respond({ response_type: 'ephemeral', text: `echo ${command.text}` });
    await client.chat.postMessage({
      channel: command.channel_id,
      text: `${command.user_id} ran ${command.text}`,
    });
  });
  return addClickAndHomeListeners(app);
}

describe('fake Slack with a real Bolt app', () => {
  let fake: FakeSlack;
  let app: App;
  let appUrl: string;

  beforeEach(async () => {
    fake = await startFakeSlack();
    app = boltApp(fake);
    const server = (await app.start({ port: 0, host: '127.0.0.1' })) as Server;
    appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  });
  afterEach(async () => {
    await app.stop();
    await fake.close();
  });

  function deliver(body: string, contentType: string, secret = SECRET): Promise<Response> {
    const headers = { 'Content-Type': contentType, ...signSlackRequest(secret, body) };
    return fetch(appUrl, { method: 'POST', headers, body });
  }

  it('runs a signed slash command: ack, respond to response_url, post with the client', async () => {
    const body = slashCommandBody({
      text: 'up a',
      user_id: USER,
      channel_id: CHANNEL,
      response_url: fake.responseUrl('c1'),
    });

    const answer = await deliver(body, 'application/x-www-form-urlencoded');

    expect(answer.status).toBe(200);
    await vi.waitFor(() => expect(fake.messages(CHANNEL)).toHaveLength(1));
    expect(fake.responses('c1')).toMatchObject([{ status: 200, body: { text: 'echo up a' } }]);
    expect(fake.messages(CHANNEL)[0]?.text).toBe(`${USER} ran up a`);
    expect(fake.calls.map((call) => call.method)).toEqual(['auth.test', 'response_url', 'chat.postMessage']);
  });

  it('handles a button click by replacing the original message', async () => {
    const posted = await fakeSlackClient(fake).chat.postMessage({
      channel: CHANNEL,
      text: 'Down cluster a?',
    });
    const response_url = fake.responseUrl('b1', { channel: CHANNEL, ts: posted.ts! });
    const [message] = fake.messages(CHANNEL);
    const body = blockActionBody({
      user_id: USER,
      channel_id: CHANNEL,
      action_id: 'cluster-down',
      message: message!,
      response_url,
    });

    const answer = await deliver(body, 'application/x-www-form-urlencoded');

    expect(answer.status).toBe(200);
    await vi.waitFor(() => expect(fake.messages(CHANNEL)[0]?.text).toBe('Cluster a is going down'));
  });

  it('publishes the App Home when the Events API says it was opened', async () => {
    const body = JSON.stringify(appHomeOpenedEvent({ user_id: USER }));

    const answer = await deliver(body, 'application/json');

    expect(answer.status).toBe(200);
    await vi.waitFor(() => expect(fake.views).toMatchObject([{ type: 'home', userId: USER }]));
  });

  it('is refused by Bolt when signed with another secret', async () => {
    const body = slashCommandBody({ user_id: USER, channel_id: CHANNEL });

    const answer = await deliver(body, 'application/x-www-form-urlencoded', 'wrong-secret');

    expect(answer.status).toBe(401);
  });
});
