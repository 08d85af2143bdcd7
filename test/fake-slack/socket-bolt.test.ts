import { App, LogLevel } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  appHomeOpenedEvent,
  blockActionPayload,
  FAST_RETRY,
  slashCommandPayload,
  startFakeSlack,
  type FakeSlack,
} from './index.ts';
import { addClickAndHomeListeners } from './bolt-listeners.ts';

const CHANNEL = 'C0SOCKET001';
const USER = 'U0PERSON001';

/** A real Bolt app in Socket Mode: its SocketModeClient dials the fake's apps.connections.open URL. */
function socketApp(fake: FakeSlack): App {
  const app = new App({
    token: fake.token,
    appToken: fake.socket.appToken,
    socketMode: true,
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl: fake.apiUrl, retryConfig: FAST_RETRY },
  });
  app.command('/mpi', async ({ ack, command }) => {
    await ack({ response_type: 'ephemeral', text: `echo ${command.text}` });
  });
  return addClickAndHomeListeners(app);
}

describe('fake Slack Socket Mode with a real Bolt app', () => {
  let fake: FakeSlack;
  let app: App;

  beforeEach(async () => {
    fake = await startFakeSlack();
    app = socketApp(fake);
    await app.start();
  });
  afterEach(async () => {
    await app.stop();
    await fake.close();
  });

  it('connects with the app token and answers a slash command in the ack', async () => {
    const payload = slashCommandPayload({ text: 'help', user_id: USER, channel_id: CHANNEL });

    const ack = await fake.socket.send({ type: 'slash_commands', payload });

    expect(ack.payload).toEqual({ response_type: 'ephemeral', text: 'echo help' });
    expect(fake.calls.map((call) => [call.method, call.ok])).toEqual([
      ['auth.test', true],
      ['apps.connections.open', true],
    ]);
    expect(fake.socket.connections).toMatchObject([{ closedAtMs: null }]);
    expect(fake.socket.violations()).toEqual([]);
  });

  it('acks a button click empty, then the listener responds to response_url', async () => {
    const posted = await app.client.chat.postMessage({ channel: CHANNEL, text: 'Down cluster a?' });
    const [message] = fake.messages(CHANNEL);
    const payload = blockActionPayload({
      user_id: USER,
      channel_id: CHANNEL,
      action_id: 'cluster-down',
      message: message!,
      response_url: fake.responseUrl('b1', { channel: CHANNEL, ts: posted.ts! }),
    });

    const ack = await fake.socket.send({ type: 'interactive', payload });

    expect(ack.payload).toEqual({});
    await vi.waitFor(() => expect(fake.messages(CHANNEL)[0]?.text).toBe('Cluster a is going down'));
    expect(fake.socket.violations()).toEqual([]);
  });

  it('delivers Events API envelopes to event listeners', async () => {
    await fake.socket.send({ type: 'events_api', payload: appHomeOpenedEvent({ user_id: USER }) });

    await vi.waitFor(() => expect(fake.views).toMatchObject([{ type: 'home', userId: USER }]));
  });

  it('reconnects on a new URL after a disconnect message, as Slack asks before recycling', async () => {
    const first = await fake.socket.connected();

    fake.socket.disconnect('refresh_requested');
    // The SocketModeClient closes at once and dials again after its clientPingTimeout (5 s).
    await vi.waitFor(() => expect(fake.socket.connections).toHaveLength(2), { timeout: 10_000 });
    const ack = await fake.socket.send({
      type: 'slash_commands',
      payload: slashCommandPayload({ text: 'again', user_id: USER, channel_id: CHANNEL }),
    });

    expect(first).toMatchObject({ closeCode: 1000 });
    expect(ack.payload).toMatchObject({ text: 'echo again' });
    expect(fake.calls.filter((call) => call.method === 'apps.connections.open')).toHaveLength(2);
  });
});
