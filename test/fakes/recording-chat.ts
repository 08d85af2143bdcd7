import fs from 'node:fs';
import type { Chat, FileUpload, Message, MessageRef } from '../../src/ports/chat.ts';

/** Chat that remembers every call, with the latest version of each posted message. */
export class RecordingChat implements Chat {
  readonly calls: { method: string; ref?: MessageRef; message?: Message }[] = [];
  readonly latest = new Map<string, Message>();
  #nextId = 1;

  async post(channelId: string, message: Message, threadOf?: MessageRef): Promise<MessageRef> {
    const ref = { channelId, messageId: `m${this.#nextId++}` };
    this.calls.push({ method: threadOf ? 'reply' : 'post', ref, message });
    this.latest.set(ref.messageId, message);
    return ref;
  }

  async update(ref: MessageRef, message: Message): Promise<void> {
    this.calls.push({ method: 'update', ref, message });
    this.latest.set(ref.messageId, message);
  }

  async ephemeral(channelId: string, _userId: string, message: Message): Promise<void> {
    this.calls.push({ method: 'ephemeral', ref: { channelId, messageId: '' }, message });
  }

  /** Attached files, read at attach time (as an upload would). */
  readonly files: { ref: MessageRef; name: string; content: string }[] = [];

  async attach(ref: MessageRef, file: FileUpload): Promise<void> {
    const content = fs.readFileSync(file.path, 'utf8');
    this.calls.push({ method: 'attach', ref, message: { text: file.name, blocks: [] } });
    this.files.push({ ref, name: file.name, content });
  }
}
