import fs from 'node:fs';
import type { Chat, FileUpload, Message, MessageRef } from '../../src/ports/chat.ts';
import type { Clock } from '../../src/ports/clock.ts';
import { MpiboxError } from '../../src/domain/errors.ts';
import { NextCallGate } from './next-call-gate.ts';

/**
 * Chat that remembers every call (with the clock's time when given), with the latest version
 * of each posted message.
 */
export class RecordingChat implements Chat {
  readonly calls: {
    method: string;
    ref?: MessageRef;
    message?: Message;
    atMs?: number;
    threadOf?: MessageRef;
  }[] = [];
  readonly latest = new Map<string, Message>();
  readonly #clock: Clock | null;
  #nextId = 1;

  constructor(clock: Clock | null = null) {
    this.#clock = clock;
  }

  /** Channels the bot was removed from: posts there are refused as the port says. */
  readonly channelsWithoutBot = new Set<string>();
  readonly #postGate = new NextCallGate();

  /** Makes the next `post` wait until the returned function is called (a slow Slack). */
  holdNextPost(): () => void {
    return this.#postGate.hold();
  }

  async post(channelId: string, message: Message, threadOf?: MessageRef): Promise<MessageRef> {
    await this.#postGate.pass();
    if (this.channelsWithoutBot.has(channelId)) {
      throw new MpiboxError('forbidden', 'the bot cannot post here', {
        botNotInChannel: true,
        channelId,
        reason: 'not_in_channel',
      });
    }
    const ref = { channelId, messageId: `m${this.#nextId++}` };
    this.#record({ method: threadOf ? 'reply' : 'post', ref, message, ...(threadOf ? { threadOf } : {}) });
    this.latest.set(ref.messageId, message);
    return ref;
  }

  async update(ref: MessageRef, message: Message): Promise<void> {
    this.#record({ method: 'update', ref, message });
    this.latest.set(ref.messageId, message);
  }

  async ephemeral(channelId: string, _userId: string, message: Message): Promise<void> {
    this.#record({ method: 'ephemeral', ref: { channelId, messageId: '' }, message });
  }

  /** Attached files, read at attach time (as an upload would). */
  readonly files: { ref: MessageRef; name: string; content: string }[] = [];

  async attach(ref: MessageRef, file: FileUpload): Promise<void> {
    const content = fs.readFileSync(file.path, 'utf8');
    this.#record({ method: 'attach', ref, message: { text: file.name, blocks: [] } });
    this.files.push({ ref, name: file.name, content });
  }

  #record(call: { method: string; ref: MessageRef; message: Message; threadOf?: MessageRef }): void {
    this.calls.push(this.#clock ? { ...call, atMs: this.#clock.nowInMs() } : call);
  }
}
