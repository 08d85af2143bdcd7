/**
 * The server end of a WebSocket (RFC 6455), as much as Slack's Socket Mode uses: text frames
 * both ways, ping/pong and the close handshake. Hand-written because the project has no
 * WebSocket server package (@slack/socket-mode 3 dials out with undici's client). No extension
 * is negotiated (permessage-deflate is declined by not echoing it), so RSV bits are errors.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** RFC 6455 §1.3: Sec-WebSocket-Accept is base64(SHA-1(key + this GUID)). */
const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** The fake's own cap on one message; Slack's envelopes and acks are far smaller. */
const MAX_MESSAGE_BYTES = 1 << 20;
/** How long to wait for the peer's close frame before dropping the TCP connection. */
const CLOSE_GRACE_IN_MS = 1000;

const OP = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

type Frame = { fin: boolean; opcode: number; payload: Buffer; size: number };
type FrameProblem = { code: number; problem: string };

/** Answers the opening handshake, or refuses it with HTTP 400 and returns null. */
export function acceptWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer): ServerWebSocket | null {
  const key = req.headers['sec-websocket-key'];
  const wellFormed =
    req.method === 'GET' &&
    /^websocket$/i.test(req.headers.upgrade ?? '') &&
    req.headers['sec-websocket-version'] === '13' &&
    typeof key === 'string' &&
    Buffer.from(key, 'base64').length === 16;
  if (!wellFormed) {
    refuseUpgrade(socket, 400, 'Bad Request');
    return null;
  }
  const accept = createHash('sha1').update(`${key}${HANDSHAKE_GUID}`).digest('base64');
  const lines = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade'];
  socket.write(`${[...lines, `Sec-WebSocket-Accept: ${accept}`].join('\r\n')}\r\n\r\n`);
  if (head.length > 0) socket.unshift(head);
  return new ServerWebSocket(socket);
}

export function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export class ServerWebSocket {
  /** A complete text message from the peer. */
  onText: (text: string) => void = () => {};
  /** Something the peer did that RFC 6455 or Slack forbids; the connection is closing. */
  onProblem: (problem: string) => void = () => {};
  /** Once, when the connection is gone: the peer's close code, or 1006 when TCP just ended. */
  onClose: (code: number, reason: string) => void = () => {};
  readonly #socket: Duplex;
  #buffer: Buffer = Buffer.alloc(0);
  #fragments: Buffer[] = [];
  #fragmentOpcode = 0;
  #closeSent = false;
  #closed = false;
  #grace: NodeJS.Timeout | undefined;

  constructor(socket: Duplex) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.#finish(1006, ''));
  }

  /** True until either side has started closing. */
  get isOpen(): boolean {
    return !this.#closeSent && !this.#closed;
  }

  sendText(text: string): void {
    if (this.isOpen) this.#write(OP.text, Buffer.from(text, 'utf8'));
  }

  ping(payload: string): void {
    if (this.isOpen) this.#write(OP.ping, Buffer.from(payload, 'utf8'));
  }

  /** Starts the close handshake; the TCP connection ends when the peer answers, or after a grace period. */
  close(code = 1000, reason = ''): void {
    if (this.#closeSent || this.#closed) return;
    this.#closeSent = true;
    const reasonBytes = Buffer.from(reason, 'utf8');
    const payload = Buffer.alloc(2 + reasonBytes.length);
    payload.writeUInt16BE(code, 0);
    reasonBytes.copy(payload, 2);
    this.#write(OP.close, payload);
    this.#grace = setTimeout(() => this.#socket.destroy(), CLOSE_GRACE_IN_MS);
    this.#grace.unref();
  }

  #write(opcode: number, payload: Buffer): void {
    const length = payload.length;
    const header = Buffer.alloc(length < 126 ? 2 : length < 65_536 ? 4 : 10);
    header[0] = 0x80 | opcode; // FIN: the server never fragments
    if (length < 126) header[1] = length;
    else if (length < 65_536) {
      header[1] = 126;
      header.writeUInt16BE(length, 2);
    } else {
      header[1] = 127;
      header.writeBigUInt64BE(BigInt(length), 2);
    }
    this.#socket.write(Buffer.concat([header, payload]));
  }

  #receive(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    while (!this.#closed) {
      const frame = readFrame(this.#buffer);
      if (frame === null) return;
      if ('problem' in frame) {
        this.#fail(frame.code, frame.problem);
        return;
      }
      this.#buffer = this.#buffer.subarray(frame.size);
      this.#handle(frame);
    }
  }

  #handle({ fin, opcode, payload }: Frame): void {
    if (opcode === OP.ping) {
      if (this.isOpen) this.#write(OP.pong, payload);
      return;
    }
    if (opcode === OP.pong) return;
    if (opcode === OP.close) return this.#answerClose(payload);
    if (this.#closeSent) return; // RFC 6455 §5.5.1: data after our close frame is discarded
    if (opcode === OP.continuation && this.#fragments.length === 0)
      return this.#fail(1002, 'continuation frame without a first fragment');
    if (opcode !== OP.continuation && this.#fragments.length > 0)
      return this.#fail(1002, 'new message before the fragmented one ended');
    if (opcode !== OP.continuation) this.#fragmentOpcode = opcode;
    this.#fragments.push(payload);
    const size = this.#fragments.reduce((sum, part) => sum + part.length, 0);
    if (size > MAX_MESSAGE_BYTES) return this.#fail(1009, `message over ${MAX_MESSAGE_BYTES} bytes`);
    if (!fin) return;
    const message = Buffer.concat(this.#fragments);
    this.#fragments = [];
    if (this.#fragmentOpcode === OP.binary)
      return this.#fail(1003, 'binary message: Socket Mode speaks JSON text');
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(message);
    } catch {
      return this.#fail(1007, 'text message is not valid UTF-8');
    }
    this.onText(text);
  }

  #answerClose(payload: Buffer): void {
    const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
    const reason = payload.subarray(2).toString('utf8');
    if (!this.#closeSent) {
      this.#closeSent = true;
      this.#write(OP.close, payload.subarray(0, Math.min(payload.length, 2)));
    }
    this.#socket.end(); // RFC 6455 §7.1.1: the server closes TCP first
    this.#finish(code, reason);
  }

  #fail(code: number, problem: string): void {
    this.onProblem(problem);
    this.close(code, problem.slice(0, 120));
    this.#buffer = Buffer.alloc(0);
  }

  #finish(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#grace);
    this.onClose(code, reason);
  }
}

/** One frame from the start of `buffer`; null while it is incomplete. */
function readFrame(buffer: Buffer): Frame | FrameProblem | null {
  if (buffer.length < 2) return null;
  const first = buffer[0]!;
  const second = buffer[1]!;
  const opcode = first & 0x0f;
  const fin = (first & 0x80) !== 0;
  if ((first & 0x70) !== 0) return { code: 1002, problem: 'RSV bit set, but no extension was agreed' };
  if (!Object.values(OP).includes(opcode as never))
    return { code: 1002, problem: `unknown opcode ${opcode}` };
  if ((second & 0x80) === 0) return { code: 1002, problem: 'client frame not masked (RFC 6455 §5.1)' };
  let length = second & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buffer.length < 4) return null;
    length = buffer.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buffer.length < 10) return null;
    const long = buffer.readBigUInt64BE(2);
    if (long > BigInt(MAX_MESSAGE_BYTES)) return { code: 1009, problem: `frame of ${long} bytes` };
    length = Number(long);
    offset = 10;
  }
  if (opcode >= OP.close && (length > 125 || !fin))
    return { code: 1002, problem: 'control frame fragmented or over 125 bytes' };
  if (buffer.length < offset + 4 + length) return null;
  const mask = buffer.subarray(offset, offset + 4);
  const payload = Buffer.from(buffer.subarray(offset + 4, offset + 4 + length));
  for (let index = 0; index < payload.length; index += 1) payload[index] = payload[index]! ^ mask[index % 4]!;
  return { fin, opcode, payload, size: offset + 4 + length };
}
