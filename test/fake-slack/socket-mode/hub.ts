import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData, type ServerOptions } from 'ws';
import { FAKE_IDENTITY } from '../identity.ts';
import { ackPayloadProblem, acceptsResponsePayload } from './envelopes.ts';
import type {
  SocketAck,
  SocketAckRecord,
  SocketConnectionRecord,
  SocketDisconnectReason,
  SocketEnvelopeInput,
  SocketViolation,
} from './types.ts';

/** Slack: "your app must acknowledge the event within 3 seconds". */
export const ACK_DEADLINE_IN_MS = 3000;
/** Slack pings open connections; the client drops one that stays silent for 30 s. */
const SERVER_PING_INTERVAL_IN_MS = 10_000;
/** Slack's hello says how long it keeps a connection before refreshing it (seconds). */
const CONNECTION_LIFETIME_IN_SECONDS = 18_060;
/** The fake's own cap on one message; Slack's envelopes and acks are far smaller. */
const MAX_MESSAGE_BYTES = 1 << 20;
/** How long to wait for the peer's close frame before dropping the TCP connection. */
const CLOSE_GRACE_IN_MS = 1000;

/**
 * The WebSocket side (RFC 6455 framing, masking, ping/pong, the close handshake) is the `ws`
 * package's. A frame the RFC forbids (unmasked, RSV bits with no extension agreed, a control
 * frame over 125 bytes, invalid UTF-8, a message over the cap) makes `ws` emit `error`, send the
 * matching close code and end the connection; the hub records it as a `protocol_error`.
 * permessage-deflate is off, as Slack's Socket Mode does not need it. `closeTimeout` is in `ws`
 * 8.23 but not yet in @types/ws 8.18, hence the widened type.
 */
const SERVER_OPTIONS: ServerOptions & { closeTimeout: number } = {
  noServer: true,
  clientTracking: false, // the hub keeps its own list of open connections
  perMessageDeflate: false,
  maxPayload: MAX_MESSAGE_BYTES,
  closeTimeout: CLOSE_GRACE_IN_MS,
};

interface Connection {
  record: SocketConnectionRecord;
  ws: WebSocket;
  pinger: NodeJS.Timeout;
}

interface Pending {
  record: SocketAckRecord;
  resolve: (ack: SocketAck) => void;
  timer: NodeJS.Timeout;
}

/** Slack's Socket Mode side: one-time URLs, connections, envelopes out and acks in. */
export class SocketModeHub {
  readonly appTokens: string[];
  readonly connections: SocketConnectionRecord[] = [];
  readonly acks: SocketAckRecord[] = [];
  readonly violations: SocketViolation[] = [];
  readonly #open: Connection[] = [];
  readonly #tickets = new Set<string>();
  readonly #pending = new Map<string, Pending>();
  readonly #server = new WebSocketServer(SERVER_OPTIONS);
  #waiters: ((record: SocketConnectionRecord) => void)[] = [];

  constructor(appTokens: string[]) {
    this.appTokens = appTokens;
  }

  /** A fresh one-time WebSocket URL, as apps.connections.open answers. */
  issueUrl(baseUrl: string): string {
    const ticket = randomUUID();
    this.#tickets.add(ticket);
    const url = new URL('/socket', baseUrl.replace(/^http/, 'ws'));
    url.search = new URLSearchParams({ ticket, app_id: FAKE_IDENTITY.appId }).toString();
    return url.toString();
  }

  /** The HTTP server's `upgrade` event: only `/socket` with an unused ticket gets through. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'ws://fake');
    const ticket = url.searchParams.get('ticket') ?? '';
    if (url.pathname !== '/socket' || !this.#tickets.delete(ticket)) {
      const status = url.pathname === '/socket' ? 401 : 404;
      socket.end(`HTTP/1.1 ${status} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    // ws answers a malformed handshake with 400 itself; the callback runs only on success.
    this.#server.handleUpgrade(req, socket, head, (ws) => this.#welcome(ws));
  }

  send(input: SocketEnvelopeInput): Promise<SocketAck> {
    const connection = this.#open.at(-1);
    if (!connection) return Promise.reject(new Error('fake Slack: no Socket Mode connection is open'));
    const envelopeId = randomUUID();
    const accepts = acceptsResponsePayload(input);
    sendText(
      connection.ws,
      JSON.stringify({
        envelope_id: envelopeId,
        type: input.type,
        payload: input.payload,
        accepts_response_payload: accepts,
        ...(input.type === 'events_api' ? { retry_attempt: 0, retry_reason: '' } : {}),
      }),
    );
    const record: SocketAckRecord = {
      envelopeId,
      type: input.type,
      acceptsResponsePayload: accepts,
      sentAtMs: Date.now(),
      ackedAtMs: null,
      latencyInMs: null,
    };
    this.acks.push(record);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(envelopeId);
        record.error = 'ack_timeout';
        this.#violation(
          'ack_timeout',
          `no ack for ${input.type} within ${ACK_DEADLINE_IN_MS} ms`,
          envelopeId,
        );
        reject(new Error(`fake Slack: ${input.type} envelope ${envelopeId} not acked within 3 s`));
      }, ACK_DEADLINE_IN_MS);
      this.#pending.set(envelopeId, { record, resolve, timer });
    });
  }

  sendRaw(frame: string): void {
    const connection = this.#open.at(-1);
    if (!connection) throw new Error('fake Slack: no Socket Mode connection is open');
    sendText(connection.ws, frame);
  }

  connected(timeoutInMs: number): Promise<SocketConnectionRecord> {
    const open = this.#open.at(-1);
    if (open) return Promise.resolve(open.record);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((waiter) => waiter !== done);
        reject(new Error(`fake Slack: no Socket Mode connection within ${timeoutInMs} ms`));
      }, timeoutInMs);
      const done = (record: SocketConnectionRecord) => {
        clearTimeout(timer);
        resolve(record);
      };
      this.#waiters.push(done);
    });
  }

  disconnect(reason: SocketDisconnectReason): void {
    const message = JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-fake' } });
    for (const { ws } of this.#open) sendText(ws, message);
  }

  /** Closes every connection with 1001 (going away), as a Slack server shutting down would. */
  closeAll(): void {
    for (const { ws } of [...this.#open]) ws.close(1001, 'fake Slack is closing');
  }

  #welcome(ws: WebSocket): void {
    const record: SocketConnectionRecord = {
      id: randomUUID(),
      openedAtMs: Date.now(),
      closedAtMs: null,
      closeCode: null,
    };
    const pinger = setInterval(() => {
      if (ws.readyState === WebSocket.OPEN) ws.ping(`fake ${Date.now()}`);
    }, SERVER_PING_INTERVAL_IN_MS);
    pinger.unref();
    const connection = { record, ws, pinger };
    this.#open.push(connection);
    this.connections.push(record);
    ws.on('message', (data, isBinary) => this.#message(ws, data, isBinary));
    ws.on('error', (error) => this.#violation('protocol_error', error.message));
    // The peer's close code; 1005 for a close frame without one, 1006 when TCP just ended.
    ws.on('close', (code) => {
      clearInterval(pinger);
      record.closedAtMs = Date.now();
      record.closeCode = code;
      this.#open.splice(this.#open.indexOf(connection), 1);
    });
    sendText(
      ws,
      JSON.stringify({
        type: 'hello',
        num_connections: this.#open.length,
        debug_info: {
          host: 'applink-fake',
          build_number: 1,
          approximate_connection_time: CONNECTION_LIFETIME_IN_SECONDS,
        },
        connection_info: { app_id: FAKE_IDENTITY.appId },
      }),
    );
    for (const waiter of this.#waiters.splice(0)) waiter(record);
  }

  #message(ws: WebSocket, data: RawData, isBinary: boolean): void {
    if (ws.readyState !== WebSocket.OPEN) return; // RFC 6455 §5.5.1: data after our close frame is discarded
    if (isBinary) {
      this.#violation('protocol_error', 'binary message: Socket Mode speaks JSON text');
      ws.close(1003, 'binary message: Socket Mode speaks JSON text');
      return;
    }
    // binaryType is ws's default 'nodebuffer', so a message (even a fragmented one) is one Buffer.
    this.#receive((data as Buffer).toString('utf8'));
  }

  #receive(text: string): void {
    let ack: unknown;
    try {
      ack = JSON.parse(text);
    } catch {
      return this.#violation('invalid_ack', `not JSON: ${text.slice(0, 200)}`);
    }
    const { envelope_id: envelopeId, payload } = (ack ?? {}) as { envelope_id?: unknown; payload?: unknown };
    if (typeof envelopeId !== 'string') return this.#violation('invalid_ack', 'no envelope_id');
    const pending = this.#pending.get(envelopeId);
    const record = pending?.record ?? this.acks.find((candidate) => candidate.envelopeId === envelopeId);
    if (!record) return this.#violation('unknown_envelope', 'ack for an envelope never sent', envelopeId);
    if (record.ackedAtMs !== null) return this.#violation('duplicate_ack', 'acked twice', envelopeId);
    record.ackedAtMs = Date.now();
    record.latencyInMs = record.ackedAtMs - record.sentAtMs;
    if (payload !== undefined) record.payload = payload as Record<string, unknown>;
    const problem = ackPayloadProblem(record, payload);
    if (problem) this.#violation('invalid_ack_payload', problem, envelopeId);
    if (!pending) return; // late: the deadline already failed it
    this.#pending.delete(envelopeId);
    clearTimeout(pending.timer);
    pending.resolve(
      payload === undefined
        ? { envelope_id: envelopeId }
        : { envelope_id: envelopeId, payload: record.payload },
    );
  }

  #violation(error: string, detail: string, envelopeId?: string): void {
    this.violations.push({ error, detail, ...(envelopeId ? { envelopeId } : {}), atMs: Date.now() });
  }
}

/** Writes a text frame while the connection is open; nothing once either side started closing. */
function sendText(ws: WebSocket, text: string): void {
  if (ws.readyState === WebSocket.OPEN) ws.send(text);
}
