import type { Chat, Message, MessageRef } from '../../ports/chat.ts';
import { renderText } from './render.ts';

/**
 * Chat on a terminal: every post, update, thread reply and attachment is printed, labelled
 * so a reader can tell which message an update replaces.
 */
export class ConsoleChat implements Chat {
  readonly #write: (text: string) => void;
  #nextId = 1;

  constructor(write: (text: string) => void) {
    this.#write = write;
  }

  async post(channelId: string, message: Message, threadOf?: MessageRef): Promise<MessageRef> {
    const messageId = String(this.#nextId++);
    const where = threadOf ? `#${channelId}, thread of message ${threadOf.messageId}` : `#${channelId}`;
    this.#print(`[${where}, message ${messageId}]`, message);
    return { channelId, messageId };
  }

  async update(ref: MessageRef, message: Message): Promise<void> {
    this.#print(`[#${ref.channelId}, message ${ref.messageId} updated]`, message);
  }

  async ephemeral(_channelId: string, userId: string, message: Message): Promise<void> {
    this.#print(`[only @${userId}]`, message);
  }

  async attach(ref: MessageRef, file: { name: string; content: string; title: string }): Promise<void> {
    this.#write(
      `[#${ref.channelId}, thread of message ${ref.messageId}] file ${file.name} (${file.title}):\n${file.content}\n`,
    );
  }

  #print(label: string, message: Message): void {
    this.#write(`${label}\n${renderText(message)}\n\n`);
  }
}
