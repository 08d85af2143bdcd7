import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ACK_DEADLINE_IN_MS,
  FAKE_IDENTITY,
  fakeSlackClient,
  slackErrorOf,
  slashCommandPayload,
  startFakeSlack,
  type FakeSlack,
} from './index.ts';

/** apps.connections.open as the SocketModeClient calls it: app token in the Authorization header. */
async function openConnection(
  fake: FakeSlack,
  token = fake.socket.appToken,
): Promise<Record<string, unknown>> {
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/x-www-form-urlencoded' };
  const answer = await fetch(`${fake.apiUrl}apps.connections.open`, { method: 'POST', headers, body: '' });
  return (await answer.json()) as Record<string, unknown>;
}

/** A bare WebSocket client (Node's own, undici underneath) that records every message. */
async function connectRaw(url: string): Promise<{ ws: WebSocket; messages: Record<string, unknown>[] }> {
  const ws = new WebSocket(url);
  const messages: Record<string, unknown>[] = [];
  ws.addEventListener('message', (event) => messages.push(JSON.parse(String(event.data)) as never));
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve);
    ws.addEventListener('error', () => reject(new Error('WebSocket refused')));
  });
  await vi.waitFor(() => expect(messages.length).toBeGreaterThan(0));
  return { ws, messages };
}

/** A client frame (RFC 6455 §5.2): FIN set, masked as clients must unless `masked` is false. */
function clientFrame(opcode: number, payload: Buffer, masked = true): Buffer {
  const mask = Buffer.from([1, 2, 3, 4]);
  const body = Buffer.from(payload.map((byte, index) => (masked ? byte ^ mask[index % 4]! : byte)));
  const header = Buffer.from([0x80 | opcode, (masked ? 0x80 : 0) | payload.length]);
  return Buffer.concat([header, masked ? mask : Buffer.alloc(0), body]);
}

/** Opens `/socket` over plain TCP, for frames a well-behaved client never sends. */
async function rawTcp(url: string): Promise<{ socket: net.Socket; received: () => Buffer }> {
  const { port, pathname, search } = new URL(url);
  const socket = net.connect(Number(port), '127.0.0.1');
  let data = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => (data = Buffer.concat([data, chunk])));
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(
    `GET ${pathname}${search} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${Buffer.alloc(16, 7).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  await vi.waitFor(() => expect(data.toString('latin1')).toContain('"type":"hello"'));
  data = Buffer.alloc(0);
  return { socket, received: () => data };
}

describe('fake Slack Socket Mode', () => {
  let fake: FakeSlack;

  beforeEach(async () => {
    fake = await startFakeSlack();
  });
  afterEach(() => fake.close());

  it('apps.connections.open hands a one-time ws:// URL to app-level tokens only', async () => {
    const bot = fakeSlackClient(fake);

    const opened = await openConnection(fake);
    const withBotToken = await openConnection(fake, fake.token);
    const unknown = await openConnection(fake, 'xapp-1-unknown');
    const inForm = await fetch(`${fake.apiUrl}apps.connections.open`, {
      method: 'POST',
      body: new URLSearchParams({ token: fake.socket.appToken }),
    }).then((answer) => answer.json() as Promise<{ error?: string }>);

    expect(opened).toMatchObject({ ok: true });
    expect(String(opened.url)).toMatch(
      new RegExp(`^ws://127\\.0\\.0\\.1:\\d+/socket\\?ticket=[\\w-]+&app_id=${FAKE_IDENTITY.appId}$`),
    );
    expect([withBotToken.error, unknown.error, inForm.error]).toEqual([
      'not_allowed_token_type',
      'invalid_auth',
      'not_authed',
    ]);
    expect(await slackErrorOf(bot.auth.test())).toBe('ok');
  });

  it('says hello with the connection count and app id, once per ticket', async () => {
    const { url } = (await openConnection(fake)) as { url: string };

    const { ws, messages } = await connectRaw(url);
    const second = await connectRaw(String((await openConnection(fake)).url));
    const reused = await connectRaw(url).catch((error: Error) => error.message);

    expect(messages[0]).toEqual({
      type: 'hello',
      num_connections: 1,
      debug_info: expect.objectContaining({ host: expect.any(String) }),
      connection_info: { app_id: FAKE_IDENTITY.appId },
    });
    expect(second.messages[0]).toMatchObject({ type: 'hello', num_connections: 2 });
    expect(reused).toBe('WebSocket refused');
    expect(await fake.socket.connected()).toBe(fake.socket.connections[1]);
    ws.close();
    second.ws.close();
  });

  it('pushes an envelope and resolves with the ack, recording its latency', async () => {
    const { ws, messages } = await connectRaw(String((await openConnection(fake)).url));
    const payload = slashCommandPayload({ text: 'help', user_id: 'U0PERSON001', channel_id: 'C0SOCKET001' });

    const acked = fake.socket.send({ type: 'slash_commands', payload });
    await vi.waitFor(() => expect(messages).toHaveLength(2));
    const envelope = messages[1] as { envelope_id: string };
    ws.send(JSON.stringify({ envelope_id: envelope.envelope_id, payload: { text: 'Usage: /mpi …' } }));

    expect(envelope).toEqual({
      envelope_id: expect.any(String),
      type: 'slash_commands',
      payload,
      accepts_response_payload: true,
    });
    expect(await acked).toEqual({ envelope_id: envelope.envelope_id, payload: { text: 'Usage: /mpi …' } });
    expect(fake.socket.acks).toMatchObject([
      { envelopeId: envelope.envelope_id, type: 'slash_commands', latencyInMs: expect.any(Number) },
    ]);
    expect(fake.socket.acks[0]!.latencyInMs).toBeLessThan(ACK_DEADLINE_IN_MS);
    expect(fake.socket.violations()).toEqual([]);
    ws.close();
  });

  it('rejects an envelope nobody acks within 3 s, and flags the late ack', async () => {
    const { ws, messages } = await connectRaw(String((await openConnection(fake)).url));
    const started = Date.now();

    const outcome = await fake.socket
      .send({ type: 'events_api', payload: { type: 'event_callback', event: { type: 'app_home_opened' } } })
      .then(
        () => 'acked',
        (error: Error) => error.message,
      );
    const envelope = messages[1] as { envelope_id: string; accepts_response_payload: boolean };
    ws.send(JSON.stringify({ envelope_id: envelope.envelope_id, payload: {} }));
    await vi.waitFor(() => expect(fake.socket.acks[0]?.ackedAtMs).not.toBeNull());

    expect(outcome).toMatch(/not acked within 3 s/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(ACK_DEADLINE_IN_MS - 50);
    expect(envelope).toMatchObject({ accepts_response_payload: false, retry_attempt: 0, retry_reason: '' });
    expect(fake.socket.acks[0]).toMatchObject({ error: 'ack_timeout' });
    expect(fake.socket.acks[0]!.latencyInMs).toBeGreaterThanOrEqual(ACK_DEADLINE_IN_MS);
    expect(fake.socket.violations().map((v) => v.error)).toEqual(['ack_timeout']);
    ws.close();
  });

  it('flags acks Slack would refuse or ignore', async () => {
    const { ws, messages } = await connectRaw(String((await openConnection(fake)).url));
    const ackWith = async (type: 'slash_commands' | 'interactive', payload: Record<string, unknown>) => {
      const sent = fake.socket.send({ type, payload: { type: 'block_actions' } });
      await vi.waitFor(() => expect(messages.at(-1)?.envelope_id).toBeDefined());
      const { envelope_id } = messages.at(-1) as { envelope_id: string };
      ws.send(JSON.stringify({ envelope_id, payload }));
      await sent;
      messages.length = 0;
    };

    await ackWith('slash_commands', { text: '' });
    await ackWith('interactive', { text: 'shown nowhere' });
    ws.send('not json');
    ws.send(JSON.stringify({ envelope_id: 'never-sent' }));
    await vi.waitFor(() => expect(fake.socket.violations()).toHaveLength(4));

    expect(fake.socket.violations().map((v) => v.error)).toEqual([
      'invalid_ack_payload',
      'invalid_ack_payload',
      'invalid_ack',
      'unknown_envelope',
    ]);
    ws.close();
  });

  it('answers pings with pongs and closes on an unmasked client frame', async () => {
    const { socket, received } = await rawTcp(String((await openConnection(fake)).url));

    socket.write(clientFrame(0x9, Buffer.from('are you there')));
    await vi.waitFor(() => expect(received().length).toBeGreaterThan(0));
    const pong = Buffer.from(received());
    socket.write(clientFrame(0x1, Buffer.from('{}'), false));
    // ws fails the connection (RFC 6455 §7.1.7): its close frame, then TCP ends without reading a reply.
    await vi.waitFor(() => expect(fake.socket.connections[0]?.closeCode).toBe(1006), { timeout: 3000 });

    expect(pong[0]).toBe(0x8a); // FIN + pong
    expect(pong.subarray(2).toString()).toBe('are you there');
    expect(received().subarray(pong.length).readUInt16BE(2)).toBe(1002); // close: protocol error
    expect(fake.socket.violations()).toMatchObject([{ error: 'protocol_error' }]);
    socket.destroy();
  });

  it('refuses to push when no app is connected', async () => {
    const sent = fake.socket.send({ type: 'events_api', payload: {} });

    await expect(sent).rejects.toThrow(/no Socket Mode connection/);
  });
});
