import fs from 'node:fs';
import type { Chat, FileUpload, Message, MessageRef } from '../../ports/chat.ts';
import { renderText } from './render.ts';

/**
 * Chat on a terminal: every post, update, thread reply and attachment is printed, labelled
 * so a reader can tell which message an update replaces. An update that only appends to a
 * message (a log tail growing) prints just the new part.
 */
export class ConsoleChat implements Chat {
  readonly #write: (text: string) => void;
  readonly #shown = new Map<string, string>();
  #nextId = 1;

  constructor(write: (text: string) => void) {
    this.#write = write;
  }

  async post(channelId: string, message: Message, threadOf?: MessageRef): Promise<MessageRef> {
    const messageId = String(this.#nextId++);
    const where = threadOf ? `#${channelId}, thread of message ${threadOf.messageId}` : `#${channelId}`;
    const text = renderText(message);
    this.#remember(messageId, text);
    this.#write(`[${where}, message ${messageId}]\n${text}\n\n`);
    return { channelId, messageId };
  }

  async update(ref: MessageRef, message: Message): Promise<void> {
    const text = renderText(message);
    const before = this.#shown.get(ref.messageId);
    this.#remember(ref.messageId, text);
    if (before !== undefined && text.startsWith(before) && text.length > before.length) {
      this.#write(
        `[#${ref.channelId}, message ${ref.messageId} continued]\n${text.slice(before.length).replace(/^\n/, '')}\n\n`,
      );
    } else if (before !== text) {
      this.#write(`[#${ref.channelId}, message ${ref.messageId} updated]\n${text}\n\n`);
    }
  }

  async ephemeral(_channelId: string, userId: string, message: Message): Promise<void> {
    this.#write(`[only @${userId}]\n${renderText(message)}\n\n`);
  }

  async attach(ref: MessageRef, file: FileUpload): Promise<void> {
    const bytes = fs.statSync(file.path).size;
    this.#write(
      `[#${ref.channelId}, thread of message ${ref.messageId}] file ${file.name} (${file.title}, ${bytes} bytes): ${file.path}\n\n`,
    );
  }

  #remember(messageId: string, text: string): void {
    this.#shown.set(messageId, text);
    if (this.#shown.size > 1000) this.#shown.delete(this.#shown.keys().next().value as string);
  }
}
