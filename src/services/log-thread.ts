import { StringDecoder } from 'node:string_decoder';
import type { Chat, MessageRef } from '../ports/chat.ts';
import type { ChatPacer } from './chat-pacer.ts';

/** Characters per log message: under Slack's 3,000 per block, with room for fences. */
export const LOG_CHARS_PER_MESSAGE = 2_900;
/** Newest log characters kept while waiting for a turn (the rest is announced as skipped). */
const PENDING_CHARS = 2_700;
/** An unfinished line longer than this (a progress bar, say) is shown anyway. */
const PARTIAL_LINE_CHARS = 1_000;
/** Bytes of a big chunk that are decoded for chat (enough for PENDING_CHARS of any text). */
const TAIL_BYTES = 4 * PENDING_CHARS;

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
  readonly #decoder = new StringDecoder('utf8');
  #current: { ref: MessageRef; text: string } | null = null;

  constructor(chat: Chat, pacer: ChatPacer, pacerKey: string, parent: MessageRef, slot: string) {
    this.#chat = chat;
    this.#pacer = pacer;
    this.#pacerKey = pacerKey;
    this.#parent = parent;
    this.#slot = slot;
  }

  /**
   * Adds raw log bytes. A chunk much longer than chat could show is not decoded whole: only
   * its tail is (from a character boundary), and the rest counts as skipped — a job printing
   * hundreds of MB then costs the bot almost nothing here.
   */
  pushBytes(chunk: Buffer): void {
    if (chunk.length <= TAIL_BYTES) {
      this.push(this.#decoder.write(chunk));
      return;
    }
    let start = chunk.length - TAIL_BYTES;
    while (start < chunk.length && ((chunk[start] ?? 0) & 0xc0) === 0x80) start += 1; // UTF-8 continuation
    this.#decoder.end(); // drop a character split across the previous chunk
    this.#skippedChars += this.#pending.length + this.#partial.length + start;
    this.#pending = '';
    this.#partial = '';
    this.push(this.#decoder.write(chunk.subarray(start)));
  }

  /** Ends the byte stream: a character left half-way is decoded (as a replacement) and kept. */
  endBytes(): void {
    this.push(this.#decoder.end());
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
