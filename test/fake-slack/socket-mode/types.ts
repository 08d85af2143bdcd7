/** The envelope kinds Slack delivers over Socket Mode that the fake can push. */
export type SocketEnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

/** What a test hands to `fake.socket.send`; the fake adds the envelope id and flags. */
export interface SocketEnvelopeInput {
  type: SocketEnvelopeType;
  /**
   * The payload Slack would have POSTed over HTTP: `slashCommandPayload(…)`,
   * `blockActionPayload(…)` or an Events API wrapper such as `appHomeOpenedEvent(…)`; or
   * anything else, to see what the app makes of a payload Slack would never send.
   */
  payload: unknown;
}

/** An acknowledgement as the app sent it. */
export interface SocketAck {
  envelope_id: string;
  /** Response payload; `{}` when the app acked without one (Bolt always sends the key). */
  payload?: Record<string, unknown>;
}

/** One envelope the fake pushed, and what became of it. */
export interface SocketAckRecord {
  envelopeId: string;
  type: SocketEnvelopeType;
  /** Slack lets the app answer in the ack only for slash commands and some interactions. */
  acceptsResponsePayload: boolean;
  /** When the envelope was written to the socket, epoch ms. */
  sentAtMs: number;
  /** When the ack arrived, epoch ms; null while none has. */
  ackedAtMs: number | null;
  /** `ackedAtMs - sentAtMs`, null while unacked. */
  latencyInMs: number | null;
  /** The ack's payload, when one came. */
  payload?: Record<string, unknown>;
  /** `ack_timeout` when no ack came within 3 s (set even if a late ack arrives afterwards). */
  error?: string;
}

/** One Socket Mode connection the app opened. */
export interface SocketConnectionRecord {
  id: string;
  /** When the hello was sent, epoch ms. */
  openedAtMs: number;
  closedAtMs: number | null;
  /** Close code (1000 normal, 1006 dropped without a close frame); null while open. */
  closeCode: number | null;
}

/** Something the app did over the socket that Slack would reject or ignore. */
export interface SocketViolation {
  /**
   * `ack_timeout`, `invalid_ack`, `unknown_envelope`, `duplicate_ack`, `invalid_ack_payload`
   * or `protocol_error` (a frame RFC 6455 forbids).
   */
  error: string;
  detail: string;
  envelopeId?: string;
  atMs: number;
}

/** Reasons Slack gives in a `disconnect` message. */
export type SocketDisconnectReason = 'warning' | 'refresh_requested' | 'link_disabled';

/** Slack's side of Socket Mode: `apps.connections.open` hands out URLs to this. */
export interface FakeSocketMode {
  /** The first accepted app-level token. */
  readonly appToken: string;
  /**
   * Pushes an envelope on the newest open connection. Resolves with the app's ack; rejects when
   * no connection is open, or when no ack comes within 3 seconds (Slack's deadline).
   */
  send(envelope: SocketEnvelopeInput): Promise<SocketAck>;
  /**
   * Writes `frame` as is on the newest open connection (junk: not JSON, `null`, an envelope the
   * app's client cannot even read); no ack is awaited. Throws when no connection is open.
   */
  sendRaw(frame: string): void;
  /** Resolves when a connection is open (hello sent), at once if one already is. */
  connected(timeoutInMs?: number): Promise<SocketConnectionRecord>;
  /** Sends `{type: 'disconnect', reason}` on every open connection, as Slack does before recycling one. */
  disconnect(reason?: SocketDisconnectReason): void;
  /** Every connection, in order of opening. */
  readonly connections: readonly SocketConnectionRecord[];
  /** Every envelope sent, in order. */
  readonly acks: readonly SocketAckRecord[];
  violations(): SocketViolation[];
}
