import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/fakes/fake-clock.ts';
import { ChatPacer } from './chat-pacer.ts';

describe('ChatPacer', () => {
  it('spaces calls of one key by the interval, even across idle gaps, and not across keys', async () => {
    const clock = new FakeClock(0);
    const pacer = new ChatPacer(clock, 1000, () => undefined);
    const calls: [string, number][] = [];
    const record = (name: string) => async () => void calls.push([name, clock.nowInMs()]);

    await pacer.submit('C1', 'a', record('a'));
    clock.advance(300);
    await pacer.submit('C1', 'b', record('b'));
    await pacer.submit('C2', 'c', record('c'));

    expect(calls).toEqual([
      ['a', 0],
      ['b', 1000],
      ['c', 1000],
    ]);
  });

  it('coalesces waiting calls of the same slot into the latest one', async () => {
    const clock = new FakeClock(0);
    const pacer = new ChatPacer(clock, 1000, () => undefined);
    const calls: string[] = [];

    void pacer.submit('C1', 'first', async () => void calls.push('first'));
    void pacer.submit('C1', 'card', async () => void calls.push('card v1'));
    void pacer.submit('C1', 'log', async () => void calls.push('log'));
    void pacer.submit('C1', 'card', async () => void calls.push('card v2'));
    await pacer.idle();

    expect(calls).toEqual(['first', 'log', 'card v2']);
  });

  it('keeps going after a failing call and reports it', async () => {
    const clock = new FakeClock(0);
    const errors: unknown[] = [];
    const pacer = new ChatPacer(clock, 10, (error) => errors.push(error));
    const calls: string[] = [];

    void pacer.submit('C1', 'bad', async () => {
      throw new Error('slack said no');
    });
    void pacer.submit('C1', 'good', async () => void calls.push('good'));
    await pacer.idle();

    expect(calls).toEqual(['good']);
    expect(errors).toHaveLength(1);
  });

  it('resolves a submit when its own call has run, not when the busy queue drains', async () => {
    const clock = new FakeClock(0);
    const pacer = new ChatPacer(clock, 1000, () => undefined);
    let flushes = 0;
    const keepFlushing = async (): Promise<void> => {
      flushes += 1;
      if (flushes < 50) void pacer.submit('C1', 'log', keepFlushing); // a chatty job
    };
    void pacer.submit('C1', 'log', keepFlushing);

    await pacer.submit('C1', 'card', async () => undefined);

    expect(flushes).toBeLessThan(5);
    await pacer.idle();
    expect(flushes).toBe(50);
  });
});
