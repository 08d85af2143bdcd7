import type { Chat, MessageRef } from '../ports/chat.ts';
import type { ChatPacer } from './chat-pacer.ts';

/** Characters per log message: under Slack's 3,000 per block, with room for fences. */
export const LOG_CHARS_PER_MESSAGE = 2_900;
/**
 * Newest log bytes kept while waiting for a turn (older ones are announced as skipped). In
 * bytes, so the position in the log is exact; a character takes at least one byte, so what is
 * kept always fits a message.
 */
const PENDING_BYTES = 2_700;
/** An unfinished line longer than this (a progress bar, say) is shown anyway. */
const PARTIAL_LINE_BYTES = 1_000;
const NEWLINE = 0x0a;

/**
 * A job's log in its chat thread: a rolling reply updated in place until it is full, then a
 * new reply. Output arriving faster than chat may take it is not queued: only the newest
 * screenful is kept and the gap is announced with the exact number of lines left out — the
 * complete log is attached at the end. So memory stays bounded whatever the job prints.
 *
 * The thread works on the log's bytes and knows its position in the log: `shownThrough` is the
 * offset up to which the channel has seen every line (posted, or counted in a skip notice). It
 * is reported after each chat call that succeeded, so it can be stored; a restarted bot makes
 * a new LogThread at that offset and feeds it the log from there, and the thread continues
 * exactly where the channel last saw it.
 */
export class LogThread {
  readonly #chat: Chat;
  readonly #pacer: ChatPacer;
  readonly #pacerKey: string;
  readonly #parent: MessageRef;
  readonly #slot: string;
  readonly #onShown: (shownThrough: number) => void;
  /** Log bytes received but not yet in chat; `#heldFrom` is the offset of the first. */
  #held: Buffer = Buffer.alloc(0);
  #heldFrom: number;
  /** Bytes (and whole lines among them) dropped since the last message, to announce. */
  #skippedBytes = 0;
  #skippedLines = 0;
  /** The last skip cut a line (too long to keep) rather than ending at a line start. */
  #skipEndsInLine = false;
  #current: { ref: MessageRef; text: string } | null = null;
  #ended = false;

  constructor(options: {
    chat: Chat;
    pacer: ChatPacer;
    pacerKey: string;
    parent: MessageRef;
    slot: string;
    /** Log offset the channel has seen up to (0 for a new job). */
    shownThrough: number;
    /** Called with the new offset after every chat call that showed more of the log. */
    onShown: (shownThrough: number) => void;
  }) {
    this.#chat = options.chat;
    this.#pacer = options.pacer;
    this.#pacerKey = options.pacerKey;
    this.#parent = options.parent;
    this.#slot = options.slot;
    this.#heldFrom = options.shownThrough;
    this.#onShown = options.onShown;
  }

  /** Offset in the log of the next byte `pushBytes` expects. */
  get nextByte(): number {
    return this.#heldFrom + this.#held.length;
  }

  /**
   * Adds the log's next bytes. Only the newest PENDING_BYTES are kept (cut at a line start
   * where there is one); what goes is counted, so a job printing hundreds of MB costs the bot
   * a newline count here.
   */
  pushBytes(chunk: Buffer): void {
    if (chunk.length === 0) return;
    const held = this.#held.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#held, chunk]);
    this.#held = held.length > PENDING_BYTES ? this.#dropFront(held, held.length - PENDING_BYTES) : held;
    this.#schedule();
  }

  /** Ends the log: an unfinished last line is shown too. */
  endBytes(): void {
    this.#ended = true;
  }

  /** Sends what is pending, including an unfinished last line, and resolves once it is in chat. */
  async finish(): Promise<void> {
    this.#ended = true;
    if (this.#held.length === 0 && this.#skippedBytes === 0) return;
    await this.#pacer.submit(this.#pacerKey, this.#slot, () => this.#flush());
  }

  /**
   * Drops at least `count` (≥ 1) bytes from the front of `bytes`, up to the next line start,
   * counting them; returns the rest. Only a line longer than what is kept is cut inside.
   */
  #dropFront(bytes: Buffer, count: number): Buffer {
    const newline = bytes.indexOf(NEWLINE, count - 1);
    const from = newline >= 0 ? newline + 1 : characterStart(bytes, count);
    this.#skip(bytes, from);
    this.#skipEndsInLine = newline < 0;
    return Buffer.from(bytes.subarray(from));
  }

  /** Counts the first `count` bytes of `bytes` as skipped. */
  #skip(bytes: Buffer, count: number): void {
    this.#skippedBytes += count;
    this.#skippedLines += countNewlines(bytes, count);
    this.#heldFrom += count;
  }

  #schedule(): void {
    if (!this.#pacer.isPending(this.#pacerKey, this.#slot)) {
      void this.#pacer.submit(this.#pacerKey, this.#slot, () => this.#flush());
    }
  }

  /** Posts whole lines (or everything, once ended or when a line grows long). */
  async #flush(): Promise<void> {
    const lastNewline = this.#held.lastIndexOf(NEWLINE);
    const partialBytes = this.#held.length - (lastNewline + 1);
    const end = this.#ended
      ? this.#held.length
      : partialBytes > PARTIAL_LINE_BYTES
        ? completeCharactersEnd(this.#held)
        : lastNewline + 1;
    if (end === 0 && this.#skippedBytes === 0) return;
    const shown = this.#held.subarray(0, end);
    const skipped = { bytes: this.#skippedBytes, lines: this.#skippedLines, inLine: this.#skipEndsInLine };
    this.#held = Buffer.from(this.#held.subarray(end));
    this.#heldFrom += end;
    this.#skippedBytes = 0;
    this.#skippedLines = 0;
    this.#skipEndsInLine = false;
    const through = this.#heldFrom;

    let text = shown.toString('utf8');
    if (skipped.bytes > 0) {
      text = `${skipNotice(skipped.lines, skipped.inLine, skipped.bytes)}\n${text}`;
      this.#current = null; // start a fresh reply after a gap
    }
    try {
      const current = this.#current;
      if (current && current.text.length + text.length <= LOG_CHARS_PER_MESSAGE) {
        await this.#chat.update(current.ref, logMessage(current.text + text));
        current.text += text;
      } else {
        const ref = await this.#chat.post(this.#parent.channelId, logMessage(text), this.#parent);
        this.#current = { ref, text };
      }
    } catch (error) {
      // Not in chat after all (the pacer gave up retrying): announce these lines with the next
      // message instead, so the thread still says exactly what it leaves out.
      this.#skippedBytes += skipped.bytes + shown.length;
      this.#skippedLines += skipped.lines + countNewlines(shown, shown.length);
      this.#current = null;
      throw error;
    }
    this.#onShown(through);
  }
}

/**
 * The notice in place of lines left out: `lines` whole lines (counted by their newlines), and
 * `inLine` when the cut is inside a line too long to keep.
 */
export function skipNotice(lines: number, inLine: boolean, bytes: number): string {
  const whole = `${lines.toLocaleString('en-US')} line${lines === 1 ? '' : 's'}`;
  const what = lines === 0 ? 'part of a line' : inLine ? `${whole} and part of the next` : whole;
  const size =
    bytes >= 1_000_000
      ? `${(bytes / 1_000_000).toFixed(1)} MB`
      : bytes >= 1000
        ? `${Math.round(bytes / 1000)} kB`
        : `${bytes} bytes`;
  return `[… ${what} (${size}) not shown here; the complete log is attached when the job ends …]`;
}

function logMessage(text: string) {
  return { text, blocks: [{ kind: 'code' as const, text: text.replace(/\n$/, '') }] };
}

/** Newlines among the first `count` bytes. */
function countNewlines(bytes: Buffer, count: number): number {
  let lines = 0;
  for (let at = bytes.indexOf(NEWLINE); at >= 0 && at < count; at = bytes.indexOf(NEWLINE, at + 1))
    lines += 1;
  return lines;
}

/** Length of `bytes` without a UTF-8 character cut short at its end. */
function completeCharactersEnd(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(4, bytes.length); back += 1) {
    const byte = bytes[bytes.length - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue; // continuation: look further back for the lead
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back ? bytes.length - back : bytes.length;
  }
  return bytes.length;
}

/** `index` moved forward to the start of a UTF-8 character (never inside one). */
function characterStart(bytes: Buffer, index: number): number {
  let at = index;
  while (at < bytes.length && ((bytes[at] ?? 0) & 0xc0) === 0x80) at += 1;
  return at;
}
