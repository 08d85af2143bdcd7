import { describe, expect, it } from 'vitest';
import { makeHarness } from '../../test/fakes/harness.ts';

const MIN = 60_000;

describe('CostService and cost reports', () => {
  it('a job of 2 h 10 min on 8 nodes at $3.60 says $62.40 in its thread', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 8 demo');
    await h.run('UALICE', '/mpi run -- ./solver');
    await h.until(() => h.runner.jobs.size === 1, 'job started');
    const started = h.store.getJob(1)!.startedAtMs!;

    h.clock.advance(started + 130 * MIN - h.clock.nowInMs());
    h.runner.end(1, { kind: 'exited', exitCode: 0 });
    await h.jobTracker.idle();
    await h.settle();

    const job = h.store.getJob(1)!;
    const ranFor = job.endedAtMs! - job.startedAtMs!;
    expect(ranFor).toBeGreaterThanOrEqual(130 * MIN);
    expect(ranFor).toBeLessThan(130 * MIN + 5_000); // the pacer's spacing moves the fake clock a little
    const note = h.chat.calls.filter((call) => call.method === 'reply').at(-1)?.message?.text;
    expect(note).toMatch(/^Job #1 ran 2 h 10 min on 8 × local: \$62\.4\d\.$/);
    expect(h.costs.jobLine({ ...job, endedAtMs: job.startedAtMs! + 130 * MIN })).toBe(
      '2 h 10 min on 8 × local: $62.40',
    );
  });

  it('shows the estimate and the channel’s month spend before up, then the cost on the card', async () => {
    const h = makeHarness();

    const first = await h.run('UALICE', '/mpi up 4 demo');
    h.clock.advance(60 * MIN);
    await h.run('UALICE', '/mpi down demo --yes');
    const second = await h.run('UALICE', '/mpi up 2 other --size big');
    const card = h.chat.latest.get(h.store.findLiveClusterByName('other')!.cardMessageId!);

    expect(first.message.text).toMatch(
      /Estimated \$14\.40\/h \(4 × \$3\.60\/h\); this channel has spent \$0\.00 this month\./,
    );
    // 4 nodes × 1 h × $3.60 (and a few paced seconds).
    expect(second.message.text).toMatch(
      /Estimated \$28\.80\/h \(2 × \$14\.40\/h\); this channel has spent \$14\.4\d this month\./,
    );
    expect(JSON.stringify(card?.blocks)).toMatch(/"Cost","\$28\.80\/h, \$0\.0\d so far"/);
  });

  it('answers /mpi cost with users, clusters and the change on the previous period', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 2 alpha');
    await h.run('UBOB', '/mpi up 1 beta');
    h.clock.advance(120 * MIN);

    const reply = await h.run('UALICE', '/mpi cost today');

    const text = JSON.stringify(reply.message.blocks);
    // a: 2 × 2 h × $3.60 = $14.40; b: 1 × 2 h = $7.20; total $21.60 for 6 node-hours.
    expect(reply.message.text).toMatch(
      /^Cost today in this channel: \$21\.6\d for 6\.0 node-hours \(yesterday: \$0\.00\)/,
    );
    expect(text).toMatch(
      /<@UALICE> {2}\$14\.4\d {2}\(4\.0 node-h\)\\n<@UBOB> {2}\$7\.2\d {2}\(2\.0 node-h\)/,
    );
    expect(text).toMatch(/alpha {2}2 × local {2}\$14\.4\d/);
  });

  it('warns a channel at 50, 80 and 100 % of its budget once each, then refuses up until an admin approves', async () => {
    const h = makeHarness({ budgets: { C1: 20 } });
    await h.run('UALICE', '/mpi up 2 alpha'); // $7.20/h

    const said: string[] = [];
    for (const hour of [1, 2, 3, 4]) {
      h.clock.advance(60 * MIN);
      const before = h.chat.calls.length;
      await h.budgets.checkAll();
      await h.budgets.checkAll(); // a second check in the same state says nothing new
      for (const call of h.chat.calls.slice(before)) said.push(`${hour}: ${call.message?.text ?? ''}`);
    }
    const refused = await h.run('UBOB', '/mpi up 1 more');
    const madeWhenRefused = h.store.findLiveClusterByName('more');
    const denied = await h.dispatcher.action(h.actor('UBOB'), 'budget-approve', 'C1');
    const approved = await h.dispatcher.action(h.actor('UADMIN'), 'budget-approve', 'C1');
    const allowed = await h.run('UBOB', '/mpi up 1 more');

    // $7.20 an hour: 36 % after 1 h, 72 % after 2 h, 108 % after 3 h (80 % is passed on the way: only the highest is said).
    expect(said.map((line) => line.replace(/\$(\d+)\.\d\d this month/, '$$$1 this month'))).toEqual([
      '2: This channel has spent $14 this month: 50 % of its $20.00 budget. `/mpi cost month` shows where it went.',
      "3: This channel has spent $21 this month: its whole $20.00 budget. New clusters (`/mpi up`) now need an admin's approval; running ones go on. `/mpi cost month` shows where it went.",
    ]);
    expect(refused.message.text).toMatch(
      /^This channel is over its monthly budget: \$28\.8\d spent of \$20\.00\./,
    );
    expect(JSON.stringify(refused.message.blocks)).toContain('budget-approve');
    expect(madeWhenRefused).toBeNull();
    expect(denied.message.text).toMatch(/admins only|Only an admin/i);
    expect(approved.message.text).toMatch(/approved going over this channel's budget/);
    expect(allowed.message.text).toMatch(/^Creating cluster `more`/);
  });
});
