import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredMessage } from './fake-slack/index.ts';
import { appHomeOpenedEvent, signSlackRequest } from './fake-slack/index.ts';
import { SUPPORT_DIR } from './support/local-fixtures.ts';
import { SIGNING_SECRET, eventually, onTimeoutDescribe, startSlackBot } from './support/slack-bot.ts';

type SlackBot = Awaited<ReturnType<typeof startSlackBot>>;

interface ButtonElement {
  action_id: string;
  value: string;
  confirm?: unknown;
}

/** The buttons of a posted message, as Slack would show them. */
function buttonsOf(message: StoredMessage): ButtonElement[] {
  return (message.blocks ?? []).flatMap((block) => {
    const { type, elements } = block as { type: string; elements?: ButtonElement[] };
    return type === 'actions' ? (elements ?? []) : [];
  });
}

/** A channel the bot was never invited to. */
const NO_BOT = 'C0NOBOT0001';

describe('Slack surface end to end (real Bolt HTTP receiver, fake Slack Web API)', () => {
  let s: SlackBot;
  const acks: number[] = [];
  const slash = async (text: string, user = 'U1', channelId = 'C1') => {
    const answer = await s.slash(text, user, channelId);
    acks.push(answer.ms);
    expect(answer.status, answer.text).toBe(200);
    return answer;
  };
  const channel = () => s.fake.messages('C1');
  const topLevel = (pattern: RegExp) =>
    channel().find((message) => !message.threadTs && pattern.test(message.text));

  beforeAll(async () => {
    s = await startSlackBot('e2e', 11, { channelsWithoutBot: [NO_BOT] });
    onTimeoutDescribe(
      () =>
        `messages:\n${channel()
          .map((m) => `${m.ts} ${m.threadTs ?? '-'} ${m.text.slice(0, 80)}`)
          .join(
            '\n',
          )}\nviolations: ${JSON.stringify(s.fake.violations().map((c) => [c.method, c.status, c.error, c.detail]))}\nstderr:\n${s.bot.stderr.slice(-3000)}`,
    );
  });

  afterAll(async () => {
    await s.stop();
  });

  it(
    'up, run a real MPI program, then the Down button: acks in time, card updated in place, log complete',
    { timeout: 180_000 },
    async () => {
      const up = await slash('up 2 demo');
      expect(up.text).toMatch(/Creating cluster `demo`/);
      const card = await eventually(() => topLevel(/Cluster demo is ready/), 'cluster card ready');
      expect(card.edits.length).toBeGreaterThanOrEqual(1); // posted "creating", then updated in place
      expect(channel().filter((message) => /^Cluster demo/.test(message.text))).toHaveLength(1);
      const workDir = path.dirname(JSON.stringify(card.blocks).match(/Machinefile `([^`]+)`/)?.[1] ?? '');
      fs.copyFileSync(path.join(SUPPORT_DIR, 'mpi-hello.c'), path.join(workDir, 'shared', 'hello.c'));

      await slash('run -n 1 -- mpicc -o shared/hello shared/hello.c');
      await eventually(() => topLevel(/job #1 on demo: succeeded/), 'compile job done');
      await slash('run -- ./shared/hello');
      const job = await eventually(() => topLevel(/job #2 on demo: succeeded/), 'MPI job done');
      const file = await eventually(
        () => s.fake.files.find((candidate) => candidate.completed && candidate.threadTs === job.ts),
        'log attached in the thread',
      );
      const thread = channel()
        .filter((message) => message.threadTs === job.ts)
        .map((message) => message.text)
        .join('\n');
      for (const rank of ['rank 0 of 2 on demo-0 sum 1', 'rank 1 of 2 on demo-1 sum 1']) {
        expect(thread).toContain(rank);
        expect(file.bytes?.toString('utf8')).toContain(rank);
      }

      const ready = await eventually(() => topLevel(/Cluster demo is ready/), 'card');
      const button = buttonsOf(ready).find((element) => element.action_id.startsWith('cluster-down'));
      expect(button?.confirm).toBeDefined(); // Down asks before it deletes
      const [first, second] = await Promise.all([
        s.click(ready, button?.action_id ?? '', button?.value ?? ''),
        s.click(ready, button?.action_id ?? '', button?.value ?? ''),
      ]);
      const deleted = await eventually(() => topLevel(/Cluster demo is deleted/), 'cluster deleted');

      expect([first.status, second.status]).toEqual([200, 200]);
      expect(deleted.ts).toBe(card.ts); // the same card, edited in place from creating to deleted
      expect(channel().filter((message) => /^Cluster demo/.test(message.text))).toHaveLength(1);
      expect(s.bot.stderr.match(/local cluster terminated/g)).toHaveLength(1);
      expect(Math.max(...acks)).toBeLessThan(3000);
      const errors = s.fake.violations().filter((call) => call.status !== 429);
      expect(errors.map((call) => `${call.method} ${call.error} ${call.detail ?? ''}`)).toEqual([]);
      // A 429 is fine only when the same call was made again later and went through.
      const unretried = s.fake
        .violations()
        .filter(
          (limited) =>
            limited.status === 429 &&
            !s.fake.calls.some(
              (later) =>
                later.ok &&
                later.atMs >= limited.atMs &&
                later.method === limited.method &&
                JSON.stringify(later.body) === JSON.stringify(limited.body),
            ),
        );
      expect(unretried.map((call) => call.method)).toEqual([]);
    },
  );

  it('publishes App Home with the user’s clusters and a Down button that works there too', async () => {
    await slash('up 1 homey', 'U7');
    await eventually(() => topLevel(/Cluster homey is ready/), 'cluster ready');
    const event = JSON.stringify(appHomeOpenedEvent({ user_id: 'U7' }));

    const opened = await s.post(event, (body) => ({
      ...signSlackRequest(SIGNING_SECRET, body),
      'content-type': 'application/json',
    }));
    const home = await eventually(
      () => s.fake.views.find((view) => view.type === 'home' && view.userId === 'U7'),
      'home published',
    );
    const down = JSON.stringify(home.view).includes('"action_id":"cluster-down"');
    const view = home.view as { blocks: unknown[] };
    const button = buttonsOf({ ts: '0', blocks: view.blocks, text: '' } as never).find((element) =>
      element.action_id.startsWith('cluster-down'),
    );
    const clicked = await s.clickInHome(view, button?.action_id ?? '', button?.value ?? '', 'U7');
    await eventually(() => topLevel(/Cluster homey is deleted/), 'deleted from App Home');
    // No channel and no response_url in App Home: the answer is the view published again.
    const answer = await eventually(
      () =>
        s.fake.views
          .filter((published) => published.userId === 'U7')
          .find((v) => /Deleting/.test(JSON.stringify(v.view))),
      'home republished with the answer',
    );

    expect(opened.status).toBe(200);
    expect(clicked.status).toBe(200);
    expect(JSON.stringify(home.view)).toMatch(/homey/);
    expect(down).toBe(true);
    expect(JSON.stringify(answer.view)).toContain('Deleting `homey`');
  });

  it('tells the caller to invite the bot when it may not post in the channel, and creates nothing', async () => {
    const ack = await slash('up 1 lonely', 'U1', NO_BOT);
    // In the ack itself, or (after "Working on it…") through the command's response_url.
    const reply = /Working on it/.test(ack.text)
      ? await eventually(
          () => s.fake.responses(ack.responseId)[0]?.body as { text: string } | undefined,
          'answer',
        )
      : (JSON.parse(ack.text) as { text: string });

    expect(reply.text).toMatch(
      /I cannot post in this channel \(Slack says `not_in_channel`\).*`\/invite @mpibox`/,
    );
    expect(s.bot.stderr).not.toMatch(/lonely.*local cluster (created|started)/);
    expect(
      fs.readdirSync(path.join(s.dataDir, 'clusters')).filter((name) => name.startsWith('lonely')),
    ).toEqual([]);
  });

  it('refuses a bad signature, an old timestamp and a replay with 401, changing nothing', async () => {
    const before = { calls: s.fake.calls.length };

    const badSignature = await s.post('command=%2Fmpi&text=up+1+evil&user_id=U9&channel_id=C1', () => ({
      'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)),
      'x-slack-signature': 'v0=deadbeef',
    }));
    const old = await s.post('command=%2Fmpi&text=up+1+evil&user_id=U9&channel_id=C1', (body) => ({
      ...signSlackRequest(SIGNING_SECRET, body, Math.floor(Date.now() / 1000) - 6 * 60),
    }));
    const original = await s.slash('list', 'U9');
    const replay = await s.post(original.body, () => original.headers);

    expect([badSignature.status, old.status, original.status, replay.status]).toEqual([401, 401, 200, 401]);
    // U9 is used by this test alone: its audit lines are exactly what these requests did.
    await eventually(() => s.auditOf('U9').length > 0, 'the genuine /mpi list audited');
    await new Promise((resolve) => setTimeout(resolve, 300)); // and nothing more arrives later
    expect(s.auditOf('U9')).toEqual([{ text: '/mpi list', result: 'ok' }]);
    // Nothing reached the Web API on their behalf (other tests' background work may still).
    const since = s.fake.calls.slice(before.calls).map((call) => JSON.stringify(call.body));
    expect(since.filter((body) => /evil|U9/.test(body))).toEqual([]);
  });

  it('turns a job printing 20,000 lines into a readable thread and a complete attached log', async () => {
    await slash('up 1 chatty');
    await eventually(() => topLevel(/Cluster chatty is ready/), 'cluster ready');

    await slash('run chatty -n 1 -- seq 1 20000');
    const job = await eventually(() => topLevel(/job #\d+ on chatty: succeeded/), 'job done');
    const file = await eventually(
      () => s.fake.files.find((candidate) => candidate.completed && candidate.threadTs === job.ts),
      'log attached',
    );
    await slash('down chatty --yes');

    const replies = channel().filter((message) => message.threadTs === job.ts && !message.files);
    expect(replies.length).toBeGreaterThan(0);
    expect(replies.length).toBeLessThan(20);
    const lines = file.bytes?.toString('utf8').trimEnd().split('\n') ?? [];
    expect(lines).toHaveLength(20_000);
    expect(lines.every((line, index) => line === String(index + 1))).toBe(true);
    // (The channel without the bot is refused on purpose by its own test.)
    const errors = s.fake.violations().filter((call) => call.status !== 429 && call.body.channel !== NO_BOT);
    expect(errors).toEqual([]);
  });
});
