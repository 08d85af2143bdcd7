import type { Chat, MessageRef } from '../ports/chat.ts';
import type { ChatPacer } from './chat-pacer.ts';

/** Characters per log message: under Slack's 3,000 per block, with room for fences. */
export const LOG_CHARS_PER_MESSAGE = 2_900;
/** Newest log characters kept while waiting for a turn (the rest is announced as skipped). */
const PENDING_CHARS = 2_700;
/** An unfinished line longer than this (a progress bar, say) is shown anyway. */
const PARTIAL_LINE_CHARS = 1_000;

/**
 * A job's log in its chat thread: a rolling reply updated in place until it is full, then a
 * new reply. Output arriving faster than chat may take it is not queued: only the newest
 * screenful is kept and the gap is announced — the complete log is attached at the end. So
 * memory stays bounded whatever the job prints.
 */
export class LogThread {
  readonly #chat: Chat;
  readonly #pacer: ChatPacer;
  readonly #pacerKey: string;
  readonly #parent: MessageRef;
  readonly #slot: string;
  #pending = '';
  /** The last, unfinished line: held back so chat shows whole lines (unless it grows long). */
  #partial = '';
  #skippedChars = 0;
  #current: { ref: MessageRef; text: string } | null = null;

  constructor(chat: Chat, pacer: ChatPacer, pacerKey: string, parent: MessageRef, slot: string) {
    this.#chat = chat;
    this.#pacer = pacer;
    this.#pacerKey = pacerKey;
    this.#parent = parent;
    this.#slot = slot;
  }

  /** Adds log text; a flush is scheduled through the pacer. */
  push(text: string): void {
    const combined = this.#partial + text;
    const lastNewline = combined.lastIndexOf('\n');
    const whole = combined.length > PARTIAL_LINE_CHARS ? combined.length : lastNewline + 1;
    this.#partial = combined.slice(whole);
    this.#enqueue(combined.slice(0, whole));
  }

  #enqueue(text: string): void {
    if (text === '') return;
    this.#pending += text;
    if (this.#pending.length > PENDING_CHARS) {
      const cut = this.#pending.length - PENDING_CHARS;
      const lineStart = this.#pending.indexOf('\n', cut);
      const from = lineStart >= 0 && lineStart < this.#pending.length - 1 ? lineStart + 1 : cut;
      this.#skippedChars += from;
      this.#pending = this.#pending.slice(from);
    }
    if (!this.#pacer.isPending(this.#pacerKey, this.#slot)) {
      void this.#pacer.submit(this.#pacerKey, this.#slot, () => this.#flush());
    }
  }

  /** Sends what is pending, including an unfinished last line, and resolves once it is in chat. */
  async finish(): Promise<void> {
    this.#enqueue(this.#partial);
    this.#partial = '';
    if (this.#pending === '' && this.#skippedChars === 0) return;
    await this.#pacer.submit(this.#pacerKey, this.#slot, () => this.#flush());
  }

  async #flush(): Promise<void> {
    if (this.#pending === '' && this.#skippedChars === 0) return;
    let text = this.#pending;
    if (this.#skippedChars > 0) {
      const skipped = `[… ${formatChars(this.#skippedChars)} of output not shown here; the complete log is attached when the job ends …]\n`;
      text = skipped + text;
      this.#current = null; // start a fresh reply after a gap
    }
    this.#pending = '';
    this.#skippedChars = 0;
    const current = this.#current;
    if (current && current.text.length + text.length <= LOG_CHARS_PER_MESSAGE) {
      current.text += text;
      await this.#chat.update(current.ref, logMessage(current.text));
    } else {
      const ref = await this.#chat.post(this.#parent.channelId, logMessage(text), this.#parent);
      this.#current = { ref, text };
    }
  }
}

function logMessage(text: string) {
  return { text, blocks: [{ kind: 'code' as const, text: text.replace(/\n$/, '') }] };
}

function formatChars(count: number): string {
  return count >= 1_000_000
    ? `${(count / 1_000_000).toFixed(1)} M characters`
    : count >= 1000
      ? `${Math.round(count / 1000)} k characters`
      : `${count} characters`;
}
