import { FAKE_IDENTITY } from './identity.ts';
import { idMint, tsMint } from './ids.ts';
import { RateLimiter } from './rate-limiter.ts';
import { SocketModeHub } from './socket-mode/hub.ts';
import type {
  CallRecord,
  EphemeralRecord,
  FakeSlackOptions,
  ResponseRecord,
  StoredFile,
  StoredMessage,
  ViewRecord,
} from './types.ts';

export type Refusal = { error: string; detail: string };

/** Everything the fake workspace remembers. Handlers read and change it; tests read it. */
export class SlackState {
  readonly bot = {
    userId: FAKE_IDENTITY.botUserId,
    botId: FAKE_IDENTITY.botId,
    teamId: FAKE_IDENTITY.teamId,
  };
  readonly tokens: string[];
  readonly limiter: RateLimiter;
  readonly socket: SocketModeHub;
  readonly calls: CallRecord[] = [];
  readonly files: StoredFile[] = [];
  readonly views: ViewRecord[] = [];
  readonly ephemerals = new Map<string, EphemeralRecord[]>();
  readonly responseUrls = new Map<
    string,
    { origin?: { channel: string; ts: string }; records: ResponseRecord[] }
  >();
  readonly usedTriggers = new Set<string>();
  readonly nextTs = tsMint();
  readonly nextId = idMint();
  baseUrl = '';
  readonly #messages = new Map<string, StoredMessage[]>();
  readonly #missing: Set<string>;
  readonly #archived: Set<string>;
  readonly #withoutBot: Set<string>;

  constructor(options: FakeSlackOptions) {
    this.tokens = options.tokens ?? ['xoxb-fake-token'];
    this.#missing = new Set(options.missingChannels);
    this.#archived = new Set(options.archivedChannels);
    this.#withoutBot = new Set(options.channelsWithoutBot);
    this.limiter = new RateLimiter({ perChannelPerSecond: 1, burst: 3, ...options.rateLimit });
    this.socket = new SocketModeHub(options.appTokens ?? ['xapp-fake-token']);
  }

  /**
   * A channel argument → the channel id, created on first use. User ids (U…, W…) stand for the
   * DM with that user, as in Slack. Names (`#general`) are not resolved: the app should use ids.
   */
  channel(raw: string | undefined): { id: string } | Refusal {
    if (!raw) return { error: 'channel_not_found', detail: 'no channel given' };
    const id = /^[UW][A-Z0-9]+$/.test(raw) ? `D${raw.slice(1)}` : raw;
    if (!/^[CGD][A-Z0-9]+$/.test(id))
      return { error: 'channel_not_found', detail: `${raw} is not a channel id` };
    if (this.#missing.has(raw) || this.#missing.has(id)) return { error: 'channel_not_found', detail: raw };
    if (!this.#messages.has(id)) this.#messages.set(id, []);
    return { id };
  }

  isArchived(channel: string): boolean {
    return this.#archived.has(channel);
  }

  /** False for a channel the bot was not invited to (its posts are refused there). */
  isBotMember(channel: string): boolean {
    return !this.#withoutBot.has(channel);
  }

  message(channel: string, ts: string): StoredMessage | undefined {
    return this.#messages.get(channel)?.find((m) => m.ts === ts);
  }

  /** thread_ts must be the ts of a top-level message in the same channel ("never use a reply's ts"). */
  threadProblem(channel: string, threadTs: string): Refusal | null {
    if (!/^\d+\.\d+$/.test(threadTs))
      return { error: 'invalid_thread_ts', detail: `${threadTs} is not a ts` };
    const parent = this.message(channel, threadTs);
    if (!parent) return { error: 'thread_not_found', detail: `no message ${threadTs} in ${channel}` };
    if (parent.threadTs) return { error: 'thread_not_found', detail: `${threadTs} is a reply, not a parent` };
    return null;
  }

  post(message: Omit<StoredMessage, 'ts' | 'user' | 'edits'>): StoredMessage {
    const stored: StoredMessage = { ...message, ts: this.nextTs(), user: this.bot.userId, edits: [] };
    this.#messages.get(message.channel)?.push(stored);
    return stored;
  }

  edit(message: StoredMessage, text: string, blocks: unknown[] | undefined): void {
    message.edits.push({ text: message.text, blocks: message.blocks, atMs: Date.now() });
    message.text = text;
    message.blocks = blocks;
  }

  remove(message: StoredMessage): void {
    const list = this.#messages.get(message.channel) ?? [];
    list.splice(list.indexOf(message), 1);
  }

  messagesOf(channel: string): StoredMessage[] {
    return structuredClone(this.#messages.get(channel) ?? []);
  }
}
