import type { FakeSocketMode } from './socket-mode/types.ts';

/** Token bucket per channel for chat.postMessage and chat.update (each method has its own bucket). */
export interface RateLimit {
  /** Sustained rate: tokens added per second. Slack documents about 1 message per second per channel. */
  perChannelPerSecond: number;
  /** Bucket size: how many calls may go through back to back before the first 429. */
  burst: number;
}

export interface FakeSlackOptions {
  /** Bot tokens the fake accepts; the first is `fake.token`. Default `['xoxb-fake-token']`. */
  tokens?: string[];
  /**
   * App-level tokens apps.connections.open accepts; the first is `fake.socket.appToken`.
   * Default `['xapp-fake-token']`.
   */
  appTokens?: string[];
  /** Channel ids that answer `channel_not_found` (every other well-formed id exists on first use). */
  missingChannels?: string[];
  /** Channel ids that answer `is_archived` to new posts. */
  archivedChannels?: string[];
  /** Channel ids the bot was never invited to: `chat.postMessage` answers `not_in_channel`. */
  channelsWithoutBot?: string[];
  /** Default `{ perChannelPerSecond: 1, burst: 3 }`. */
  rateLimit?: Partial<RateLimit>;
}

/** One HTTP request the fake answered. */
export interface CallRecord {
  /** Web API method (`chat.postMessage`), or `upload` / `response_url` for those endpoints. */
  method: string;
  /** Parsed request arguments as received (form values are strings); the token is removed. */
  body: Record<string, unknown>;
  /** HTTP status sent back. */
  status: number;
  /** True when the answer was HTTP 200 with `ok: true`. */
  ok: boolean;
  /** Slack error code of a failed answer (`ratelimited` for a 429). */
  error?: string;
  /** Why the fake refused, in words (Slack puts this in response_metadata; we keep bodies minimal). */
  detail?: string;
  /** True when the answer came from `failNext`, not from the fake's own rules. */
  injected: boolean;
  /** The body sent back: parsed JSON, or text for the upload endpoint. */
  response: unknown;
  /** When the request arrived, epoch milliseconds. */
  atMs: number;
}

/** A message as it stands now in a channel (thread replies included, with `threadTs`). */
export interface StoredMessage {
  channel: string;
  ts: string;
  /** Parent ts when this is a thread reply. */
  threadTs?: string;
  text: string;
  blocks?: unknown[];
  /** Bot user id of the poster. */
  user: string;
  /** File ids shared by this message (files.completeUploadExternal). */
  files?: string[];
  /** Earlier versions, oldest first, one per successful chat.update or replace_original. */
  edits: { text: string; blocks?: unknown[]; atMs: number }[];
}

/** An ephemeral message: shown to one user, never part of the channel history. */
export interface EphemeralRecord {
  channel: string;
  user: string;
  messageTs: string;
  threadTs?: string;
  text: string;
  blocks?: unknown[];
}

/** A file reserved by files.getUploadURLExternal. */
export interface StoredFile {
  id: string;
  filename: string;
  /** Byte count announced to getUploadURLExternal; the upload must match it. */
  length: number;
  /** Bytes received at the upload URL, or null until then. */
  bytes: Buffer | null;
  /** Set by files.completeUploadExternal. */
  title?: string;
  completed: boolean;
  channel?: string;
  threadTs?: string;
}

/** A view pushed by views.publish (`home`) or views.open (`modal`). */
export interface ViewRecord {
  id: string;
  type: 'home' | 'modal';
  /** views.publish: whose App Home. */
  userId?: string;
  /** views.open: the trigger used. */
  triggerId?: string;
  hash: string;
  view: Record<string, unknown>;
}

/** One POST to a response_url. */
export interface ResponseRecord {
  body: Record<string, unknown>;
  status: number;
  error?: string;
}

/** What `failNext` makes the next call answer: a Slack error code (HTTP 200), or an HTTP failure. */
export type Fault =
  | string
  | {
      status: number;
      /** Retry-After header. Defaults to 1 for a 429; `null` sends a 429 without the header. */
      retryAfterSeconds?: number | null;
      /** Body error code; default `ratelimited` for 429, else `internal_error`. */
      error?: string;
    };

export interface FakeSlack {
  /** `http://127.0.0.1:<port>/api/`, for `new WebClient(token, { slackApiUrl })`. */
  readonly apiUrl: string;
  /** `http://127.0.0.1:<port>`. */
  readonly baseUrl: string;
  /** The first accepted bot token. */
  readonly token: string;
  /** Bot identity answered by auth.test and used as the author of posts. */
  readonly bot: { userId: string; botId: string; teamId: string };
  /** Every request, in arrival order. */
  readonly calls: readonly CallRecord[];
  /** Every file reserved by getUploadURLExternal, in order. */
  readonly files: readonly StoredFile[];
  /** Every view published or opened, in order. */
  readonly views: readonly ViewRecord[];
  /** Current messages of a channel in ts order, thread replies included. */
  messages(channel: string): StoredMessage[];
  /** Ephemeral messages sent in a channel. */
  ephemerals(channel: string): EphemeralRecord[];
  /** Makes the next call of `method` (or `upload`, `response_url`) answer with `fault`. Queues. */
  failNext(method: string, fault: Fault): void;
  setRateLimit(limit: Partial<RateLimit>): void;
  /** Calls answered with an error or a non-200 status (injected faults included, flagged). */
  violations(): CallRecord[];
  /** A response_url on the fake; with `origin`, replace_original/delete_original act on that message. */
  responseUrl(id?: string, origin?: { channel: string; ts: string }): string;
  /** POSTs received by response_url `id`. */
  responses(id: string): ResponseRecord[];
  /** A fresh trigger_id (valid for 3 seconds, once), as Slack puts in interaction payloads. */
  triggerId(): string;
  /** Socket Mode: the app connects after apps.connections.open; tests push envelopes here. */
  readonly socket: FakeSocketMode;
  close(): Promise<void>;
}
