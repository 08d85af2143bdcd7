import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { makeHarness, snapshot } from '../../../test/fakes/harness.ts';
import { ConsoleChat } from './console-chat.ts';
import { runConsole } from './console-surface.ts';
import { renderText } from './render.ts';

/** Feeds `lines` to the console surface; returns what it printed. */
async function consoleOutput(h: ReturnType<typeof makeHarness>, lines: string[]): Promise<string> {
  let printed = '';
  const write = (text: string) => {
    printed += text;
  };
  await runConsole({
    input: Readable.from([lines.join('\n') + '\n']),
    echo: false,
    actor: h.actor('UALICE'),
    dispatcher: h.dispatcher,
    chat: new ConsoleChat(write),
    write,
  });
  await h.settle();
  return printed;
}

describe('console surface', () => {
  // Slack sends the text after `/mpi`; the bot parses `/mpi <text>` (slack-app.ts).
  it.each([
    ['a line ending in U+FEFF', 'list\ufeff'],
    ['an up ending in U+FEFF', 'up 2 demo\ufeff'],
    ['a name with a soft hyphen', 'up 2 de\u00admo'],
  ])('refuses %s exactly as the same text over Slack is refused', async (_name, text) => {
    const viaSlack = makeHarness();
    const viaConsole = makeHarness();
    const before = snapshot(viaConsole.store, ['UALICE'], ['C1']);

    const slackReply = await viaSlack.run('UALICE', `/mpi ${text}`);
    const printed = await consoleOutput(viaConsole, [`/mpi ${text}`]);

    expect(slackReply.message.text).toMatch(/^The command contains an invisible or control character/);
    expect(printed).toBe(`[only @UALICE]\n${renderText(slackReply.message)}\n\n`);
    expect(snapshot(viaConsole.store, ['UALICE'], ['C1'])).toBe(before);
    expect(viaConsole.store.listAudit(1)[0]?.result).toBe('bad-input');
  });

  it('still trims ordinary whitespace around a line', async () => {
    const h = makeHarness();

    const printed = await consoleOutput(h, ['  \t/mpi up 1 demo \t ']);

    expect(printed).toMatch(/Creating cluster `demo`: 1 × local/);
    expect(h.store.findLiveClusterByName('demo')?.nodeCount).toBe(1);
  });
});
