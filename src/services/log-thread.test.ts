import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/fakes/fake-clock.ts';
import { RecordingChat } from '../../test/fakes/recording-chat.ts';
import { ChatPacer } from './chat-pacer.ts';
import { LOG_CHARS_PER_MESSAGE, LogThread } from './log-thread.ts';
import { accountForLines as accountFor } from '../../test/support/numbered-lines.ts';

const PARENT = { channelId: 'C1', messageId: 'parent' };

function makeThread(chat: RecordingChat, pacer: ChatPacer, shownThrough: number, shown: number[]) {
  return new LogThread({
    chat,
    pacer,
    pacerKey: 'C1',
    parent: PARENT,
    slot: 'log-1',
    shownThrough,
    onShown: (offset) => shown.push(offset),
  });
}

/** The thread as a reader sees it: every reply's latest text, in order. */
function threadLines(chat: RecordingChat): string[] {
  const replies = chat.calls
    .filter((call) => call.method === 'reply')
    .map((call) => call.ref?.messageId ?? '');
  const text = replies.map((id) => chat.latest.get(id)?.text ?? '').join('');
  return text.split('\n').filter((line) => line !== '');
}

const numbered = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, index) => `line-${from + index}`);

describe('LogThread', () => {
  it('shows every line once, in order, when output is slow', async () => {
    const clock = new FakeClock();
    const chat = new RecordingChat(clock);
    const pacer = new ChatPacer(clock, 1000, () => undefined);
    const shown: number[] = [];
    const thread = makeThread(chat, pacer, 0, shown);
    const lines = numbered(1, 30);

    for (const line of lines) {
      thread.pushBytes(Buffer.from(`${line}\n`));
      await pacer.idle();
    }
    await thread.finish();

    expect(threadLines(chat)).toEqual(lines);
    expect(shown.at(-1)).toBe(Buffer.byteLength(lines.map((line) => `${line}\n`).join('')));
  });

  it('counts exactly the lines a flood leaves out', async () => {
    const clock = new FakeClock();
    const chat = new RecordingChat(clock);
    const pacer = new ChatPacer(clock, 1000, () => undefined);
    const thread = makeThread(chat, pacer, 0, []);
    const lines = numbered(1, 20_000);
    const log = Buffer.from(lines.map((line) => `${line}\n`).join(''));

    for (let at = 0; at < log.length; at += 7_777) {
      thread.pushBytes(log.subarray(at, at + 7_777)); // chunks cut inside lines
      if (at % (7_777 * 40) === 0) await pacer.idle();
    }
    await thread.finish();

    const seen = threadLines(chat);
    expect(seen.some((line) => line.includes('not shown here'))).toBe(true);
    expect(accountFor(seen, lines)).toBe(lines.length);
    expect(seen.at(-1)).toBe('line-20000');
  });

  it('continues after a restart exactly where the channel last saw it', async () => {
    const clock = new FakeClock();
    const chat = new RecordingChat(clock);
    const pacer = new ChatPacer(clock, 1000, () => undefined);
    const shown: number[] = [];
    const lines = numbered(1, 150);
    const log = Buffer.from(lines.map((line) => `${line}\n`).join(''));
    const first = makeThread(chat, pacer, 0, shown);
    const savedThrough = log.indexOf('line-40\n') + 'line-40\n'.length;
    first.pushBytes(log.subarray(0, log.indexOf('line-30\n')));
    await pacer.idle();

    // The bot saved up to line 40 but "died" before posting lines 30–40; the new thread is fed
    // the log from the stored position onwards.
    const second = makeThread(chat, pacer, shown.at(-1) ?? 0, shown);
    second.pushBytes(log.subarray(second.nextByte, savedThrough));
    second.pushBytes(log.subarray(savedThrough));
    await second.finish();

    expect(threadLines(chat)).toEqual(lines);
  });

  it('cuts a line too long to keep, says so, and never splits a character', async () => {
    const clock = new FakeClock();
    const chat = new RecordingChat(clock);
    const pacer = new ChatPacer(clock, 1000, () => undefined);
    const thread = makeThread(chat, pacer, 0, []);

    thread.pushBytes(Buffer.from(`start\n${'é'.repeat(20_000)}`)); // a progress bar, say
    await pacer.idle();
    thread.pushBytes(Buffer.from('\nend\n'));
    await thread.finish();

    const seen = threadLines(chat);
    expect(seen[0]).toMatch(/^\[… 1 line and part of the next \(\d+ kB\) not shown here/);
    expect(seen[1]).toMatch(/^é+$/);
    expect(seen.at(-1)).toBe('end');
    for (const call of chat.calls)
      expect(call.message?.text.length ?? 0).toBeLessThanOrEqual(LOG_CHARS_PER_MESSAGE);
  });

  it('announces lines whose post failed with the next message', async () => {
    const clock = new FakeClock();
    const chat = new RecordingChat(clock);
    const pacer = new ChatPacer(clock, 1000, () => undefined);
    const thread = makeThread(chat, pacer, 0, []);
    chat.channelsWithoutBot.add('C1');
    thread.pushBytes(Buffer.from('lost-1\nlost-2\n'));
    await pacer.idle();
    chat.channelsWithoutBot.delete('C1');

    thread.pushBytes(Buffer.from('kept\n'));
    await thread.finish();

    expect(threadLines(chat)).toEqual([
      '[… 2 lines (14 bytes) not shown here; the complete log is attached when the job ends …]',
      'kept',
    ]);
  });
});
