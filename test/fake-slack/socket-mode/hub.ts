import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
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
import { acceptWebSocket, refuseUpgrade, type ServerWebSocket } from './websocket.ts';

/** Slack: "your app must acknowledge the event within 3 seconds". */
export const ACK_DEADLINE_IN_MS = 3000;
/** Slack pings open connections; the client drops one that stays silent for 30 s. */
const SERVER_PING_INTERVAL_IN_MS = 10_000;
/** Slack's hello says how long it keeps a connection before refreshing it (seconds). */
const CONNECTION_LIFETIME_IN_SECONDS = 18_060;

interface Connection {
  record: SocketConnectionRecord;
  ws: ServerWebSocket;
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
      refuseUpgrade(socket, url.pathname === '/socket' ? 401 : 404, 'Refused');
      return;
    }
    const ws = acceptWebSocket(req, socket, head);
    if (ws) this.#welcome(ws);
  }

  send(input: SocketEnvelopeInput): Promise<SocketAck> {
    const connection = this.#open.at(-1);
    if (!connection) return Promise.reject(new Error('fake Slack: no Socket Mode connection is open'));
    const envelopeId = randomUUID();
    const accepts = acceptsResponsePayload(input);
    connection.ws.sendText(
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
    connection.ws.sendText(frame);
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
    for (const { ws } of this.#open) ws.sendText(message);
  }

  /** Closes every connection with 1001 (going away), as a Slack server shutting down would. */
  closeAll(): void {
    for (const { ws } of [...this.#open]) ws.close(1001, 'fake Slack is closing');
  }

  #welcome(ws: ServerWebSocket): void {
    const record: SocketConnectionRecord = {
      id: randomUUID(),
      openedAtMs: Date.now(),
      closedAtMs: null,
      closeCode: null,
    };
    const pinger = setInterval(() => ws.ping(`fake ${Date.now()}`), SERVER_PING_INTERVAL_IN_MS);
    pinger.unref();
    const connection = { record, ws, pinger };
    this.#open.push(connection);
    this.connections.push(record);
    ws.onText = (text) => this.#receive(text);
    ws.onProblem = (problem) => this.#violation('protocol_error', problem);
    ws.onClose = (code) => {
      clearInterval(pinger);
      record.closedAtMs = Date.now();
      record.closeCode = code;
      this.#open.splice(this.#open.indexOf(connection), 1);
    };
    ws.sendText(
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
