import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredMessage } from './fake-slack/index.ts';
import { listeningPorts } from './support/local-fixtures.ts';
import { eventually, onTimeoutDescribe, startSlackBot } from './support/slack-bot.ts';

type SlackBot = Awaited<ReturnType<typeof startSlackBot>>;

/** The buttons of a posted message, as Slack shows them. */
function buttonsOf(message: StoredMessage): { action_id: string; value: string; text: { text: string } }[] {
  return (message.blocks ?? []).flatMap((block) => {
    const { type, elements } = block as {
      type: string;
      elements?: { action_id: string; value: string; text: { text: string } }[];
    };
    return type === 'actions' ? (elements ?? []) : [];
  });
}

/**
 * The reaper end to end with short settings: the real bot in Slack HTTP mode over the fake
 * Slack, real local nodes, node-cron ticking every second. An idle cluster is warned and then
 * stopped (its nodes' processes gone); a cluster running a job all along is never warned; the
 * Keep button (a signed click) withdraws the warning and postpones the reap.
 */
describe('idle reaper end to end (real bot, fake Slack, local nodes)', () => {
  let s: SlackBot;
  const channel = () => s.fake.messages('C1');
  const card = (name: string) =>
    channel().find((message) => !message.threadTs && new RegExp(`^Cluster ${name}\\b`).test(message.text));
  const thread = (name: string) => {
    const parent = card(name);
    return parent ? channel().filter((message) => message.threadTs === parent.ts) : [];
  };
  const clusterId = (name: string) =>
    /"value":"(\w[\w-]*-[0-9a-f]{6})"/.exec(JSON.stringify(card(name)?.blocks))?.[1] ?? '';

  beforeAll(async () => {
    s = await startSlackBot(
      'reaper',
      16,
      {},
      {
        MPIBOX_REAPER_SCHEDULE: '* * * * * *',
        MPIBOX_IDLE_TIMEOUT: '6s',
        MPIBOX_REAP_GRACE: '8s',
        MPIBOX_KEEP_MAX: '2m',
        MPIBOX_REAP_ACTION: 'stop',
      },
    );
    onTimeoutDescribe(
      () =>
        `messages:\n${channel()
          .map((m) => `${m.ts} ${m.threadTs ?? '-'} ${m.text.slice(0, 100)}`)
          .join('\n')}\nstderr:\n${s.bot.stderr.slice(-3000)}`,
    );
  });

  afterAll(async () => {
    // Nothing of the test may outlive it: the clusters still up are deleted first.
    for (const name of ['busy', 'kept', 'idle']) {
      if (!card(name) || /is deleted/.test(card(name)!.text)) continue;
      await s.slash(`down ${name} --yes`);
      await eventually(() => /is deleted/.test(card(name)?.text ?? ''), `${name} deleted`, 30_000).catch(
        () => undefined,
      );
    }
    await s.stop();
  }, 120_000);

  it(
    'warns an idle cluster, then stops it; a cluster running a job through the same time is never warned',
    { timeout: 120_000 },
    async () => {
      await s.slash('up 1 idle');
      await s.slash('up 1 busy');
      await eventually(() => card('idle') && /is ready/.test(card('idle')!.text), 'idle ready');
      await eventually(() => card('busy') && /is ready/.test(card('busy')!.text), 'busy ready');
      await s.slash('run busy -n 1 -- sleep 40');
      const idleId = clusterId('idle');
      expect(idleId).toMatch(/^idle-[0-9a-f]{6}$/);
      const idlePort = Number(/-p (\d+) /.exec(JSON.stringify(card('idle')?.blocks))?.[1]);
      const listeningBefore = listeningPorts().has(idlePort);

      const warning = await eventually(
        () => thread('idle').find((message) => /has been idle/.test(message.text)),
        'idle warning',
      );
      const reaped = await eventually(
        () => thread('idle').find((message) => /^Stopped \(deallocated\) `idle`/.test(message.text)),
        'reap notice',
        40_000,
      );

      expect(warning.text).toMatch(
        /^<@U1> `idle` has been idle for \d+ s \(no job, no SSH session\) and costs \$3\.\d\d\/h\. In 8 s I will stop \(deallocate\) it/,
      );
      expect(buttonsOf(warning).map((button) => button.text.text)).toEqual([
        'Keep 1 h',
        'Keep until tonight',
        'Down now',
      ]);
      expect(reaped.text).toMatch(
        /that stops \$3\.\d\d\/h\. It cost \$0\.\d\d in all\. Disks are kept: `\/mpi up 1 idle --size local` starts it again\./,
      );
      expect(listeningBefore).toBe(true);
      // Its node's SSH server is gone (deallocated), the busy cluster's are not.
      await eventually(() => !listeningPorts().has(idlePort), 'idle node stopped');
      await eventually(() => /is stopped/.test(card('idle')?.text ?? ''), 'card says stopped');
      // The busy cluster ran its job through all of it.
      expect(thread('busy').some((message) => /has been idle/.test(message.text))).toBe(false);
      expect(card('busy')?.text).toMatch(/is ready/);
      expect(s.auditOf('mpibox-reaper').map((row) => row.text)).toEqual([
        '[reaper warn idle]',
        '[reaper stop idle]',
      ]);
    },
  );

  it(
    'the Keep button (a signed click) withdraws the warning and postpones the reap',
    { timeout: 120_000 },
    async () => {
      await s.slash('up 1 kept');
      await eventually(() => card('kept') && /is ready/.test(card('kept')!.text), 'kept ready');
      const warning = await eventually(
        () => thread('kept').find((message) => /has been idle/.test(message.text)),
        'idle warning',
      );
      const keep = buttonsOf(warning).find((button) => button.text.text === 'Keep 1 h')!;

      const clicked = await s.click(warning, keep.action_id, keep.value);
      await eventually(
        () => thread('kept').find((message) => /withdrawn: kept by <@U1>/.test(message.text)),
        'warning withdrawn in place',
      );
      await new Promise((resolve) => setTimeout(resolve, 12_000)); // past the grace period

      expect(clicked.status).toBe(200);
      expect(thread('kept').some((message) => /^Stopped/.test(message.text))).toBe(false);
      expect(card('kept')?.text).toMatch(/is ready/);
      // Capped by MPIBOX_KEEP_MAX (2 min), said in the channel.
      const answer = await eventually(
        () =>
          s.fake.responses(clicked.responseId)[0]?.body as
            { text: string; response_type?: string } | undefined,
        'click answered',
      );
      expect(answer.text).toMatch(
        /^<@U1> keeps `kept` for 2 min \(the most allowed is 2 min\), until \d\d:\d\d UTC/,
      );
    },
  );
});
