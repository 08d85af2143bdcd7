import { describe, expect, it } from 'vitest';
import { makeHarness } from '../../test/fakes/harness.ts';
import { REAPER_ACTOR, type ReaperPolicy } from './reaper.ts';

const MIN = 60_000;
const policy: ReaperPolicy = {
  idleTimeoutInMs: 30 * MIN,
  graceInMs: 10 * MIN,
  action: 'stop',
  keepMaxInMs: 12 * 60 * MIN,
  stuckAfterInMs: 60 * MIN,
};

/** A harness with the reaper on and one ready cluster `demo` owned by UALICE. */
async function withCluster(over: Partial<ReaperPolicy> = {}) {
  const h = makeHarness({ reaperPolicy: { ...policy, ...over } });
  await h.run('UALICE', '/mpi up 2 demo');
  const id = h.store.findLiveClusterByName('demo')!.id;
  const reaper = h.reaper!;
  /** Moves the clock to `minute` minutes after the cluster became ready, then ticks. */
  const start = h.clock.nowInMs();
  const at = async (minute: number) => {
    h.clock.advance(start + minute * MIN - h.clock.nowInMs());
    await reaper.runOnce();
    await h.settle();
  };
  const texts = () => h.chat.calls.map((call) => call.message?.text ?? '');
  const state = () => h.store.getCluster(id)!.state;
  return { h, id, reaper, at, texts, state };
}

describe('Reaper', () => {
  it('warns in the thread with the owner mentioned and buttons, then stops the cluster after the grace period', async () => {
    const { h, id, at, texts, state } = await withCluster();

    await at(29);
    const warnedEarly = texts().some((text) => text.includes('has been idle'));
    await at(31);
    const warning = h.chat.calls.at(-1)!;
    await at(40);
    await at(42);

    expect(warnedEarly).toBe(false);
    expect(warning.message?.text).toMatch(
      /^<@UALICE> `demo` has been idle for 31 min \(no job, no SSH session\) and costs \$7\.20\/h\. In 10 min I will stop \(deallocate\) it/,
    );
    expect(JSON.stringify(warning.message?.blocks)).toMatch(/Keep 1 h.*Keep until tonight.*Down now/);
    expect(warning.threadOf?.messageId).toBe(h.store.getCluster(id)!.cardMessageId);
    expect(state()).toBe('stopped');
    expect(h.provider.calls).toContain(`deallocate ${id}`);
    expect(texts().at(-1)).toMatch(
      /^Stopped \(deallocated\) `demo` \(2 × local\) after 42 min idle: that stops \$7\.20\/h\. It cost \$5\.\d\d in all\. Disks are kept: `\/mpi up 2 demo --size local` starts it again\.$/,
    );
    // Usage closed when the nodes were deallocated: cost stops there.
    expect(h.store.listUsage(id).every((usage) => usage.stoppedAtMs !== null)).toBe(true);
    // The reaper acts as the system in the audit log.
    expect(
      h.store
        .listAudit(10)
        .filter((row) => row.userId === REAPER_ACTOR)
        .map((row) => row.text),
    ).toEqual(['[reaper stop demo]', '[reaper warn demo]']);
  });

  it('goes warn → keep → idle again → warn → reap', async () => {
    const { h, at, texts, state } = await withCluster();

    await at(30);
    await h.dispatcher.action(
      h.actor('UBOB'),
      'cluster-keep',
      `${h.store.findLiveClusterByName('demo')!.id} 1h`,
    );
    await h.settle();
    await at(45); // grace would be over: kept
    await at(80);
    const stillReady = state();
    await at(120); // keep ended at 90; idle 30 min since
    await at(130);

    expect(stillReady).toBe('ready');
    expect(state()).toBe('stopped');
    const warnings = texts().filter((text) => text.includes('has been idle for'));
    expect(warnings).toHaveLength(2);
    expect(texts().some((text) => /Idle warning for `demo`~ withdrawn: kept by <@UBOB>/.test(text))).toBe(
      true,
    );
  });

  it('withdraws the warning when someone logs in during the grace period', async () => {
    const { h, id, at, texts, state } = await withCluster();

    await at(30);
    h.provider.activityOf.set(id, {
      sessions: [{ user: 'mpi', node: 'demo-1', terminal: '34816' }],
      jobCpuTicks: new Map(),
    });
    await at(35);
    h.provider.activityOf.delete(id);
    await at(45);

    expect(texts().at(-1)).toMatch(/withdrawn: it is in use again/);
    expect(state()).toBe('ready');
    await at(65); // idle 30 min since the session was last seen at 35
    expect(texts().filter((text) => text.includes('has been idle for 30 min'))).toHaveLength(2);
  });

  it('never reaps a cluster with a running or queued job, or a user logged in, however long', async () => {
    const running = await withCluster();
    await running.h.run('UALICE', '/mpi run -- ./solver');
    await running.h.until(() => running.h.runner.jobs.size === 1, 'job started');
    const sessions = await withCluster();
    sessions.h.provider.activityOf.set(sessions.id, {
      sessions: [{ user: 'mpi', node: null, terminal: '34817' }],
      jobCpuTicks: new Map(),
    });

    for (const minute of [30, 41, 60, 120, 600]) {
      await running.at(minute);
      await sessions.at(minute);
    }

    expect([running.state(), sessions.state()]).toEqual(['ready', 'ready']);
    expect([...running.texts(), ...sessions.texts()].some((text) => text.includes('has been idle'))).toBe(
      false,
    );
  });

  it('asks in a job’s thread, once, when it printed nothing and used no CPU for an hour', async () => {
    const { h, id, at, state } = await withCluster();
    await h.run('UALICE', '/mpi run -- ./hang');
    await h.until(() => h.runner.jobs.size === 1, 'job started');
    await h.settle();
    h.provider.activityOf.set(id, { sessions: [], jobCpuTicks: new Map([[1, 500]]) });

    await at(10);
    await at(40);
    h.provider.activityOf.set(id, { sessions: [], jobCpuTicks: new Map([[1, 900]]) }); // CPU at 50
    await at(50);
    await at(100);
    await at(111);
    await at(200);

    const job = h.store.getJob(1)!;
    const asked = h.chat.calls.filter((call) => call.message?.text.includes('is it stuck?'));
    expect(asked).toHaveLength(1);
    expect(asked[0]?.atMs).toBeGreaterThanOrEqual(h.clock.nowInMs() - 89 * MIN - 10_000); // at the 111th minute (paced calls move the fake clock by seconds)
    expect(asked[0]?.message?.text).toBe(
      '<@UALICE> job #1 has printed nothing and used no CPU for 1 h 1 min: is it stuck? `/mpi cancel 1` ends it. mpibox never reaps a cluster while a job runs on it.',
    );
    expect(asked[0]?.threadOf?.messageId).toBe(job.messageId);
    expect(state()).toBe('ready');
  });

  it('caps a keep at the admins’ maximum and says so', async () => {
    const { h } = await withCluster({ keepMaxInMs: 12 * 60 * MIN });

    const reply = await h.dispatcher.command(h.actor('UALICE'), '/mpi keep demo 3d');
    const bad = await h.dispatcher.command(h.actor('UALICE'), '/mpi keep demo forever');

    expect(reply.message.text).toMatch(
      /^<@UALICE> keeps `demo` for 12 h \(the most allowed is 12 h\), until \d\d:\d\d UTC/,
    );
    expect(bad.message.text).toMatch(
      /^Duration `forever` is not a duration: use `30m`, `2h`, `1h30m`, `1d` or `tonight`/,
    );
  });

  it('acts once when ticks overlap and when a second bot process ticks at the same time', async () => {
    const { h, id, at } = await withCluster();
    const second = h.restart();

    await at(30);
    await Promise.all([h.reaper!.runOnce(), h.reaper!.runOnce(), second.reaper!.runOnce()]);
    h.clock.advance(11 * MIN);
    await Promise.all([h.reaper!.runOnce(), second.reaper!.runOnce(), h.reaper!.runOnce()]);
    await h.settle();
    await second.idle();

    expect(h.chat.calls.filter((call) => call.message?.text.includes('has been idle'))).toHaveLength(1);
    expect(h.provider.calls.filter((call) => call === `deallocate ${id}`)).toHaveLength(1);
    expect(h.store.listReapsBetween(0, Number.MAX_SAFE_INTEGER)).toHaveLength(1);
  });

  it('starts a stopped cluster again on up of its name, and bills only while allocated', async () => {
    const { h, id, at, state } = await withCluster();
    await at(30);
    await at(41);

    const runWhileStopped = await h.run('UALICE', '/mpi run -- ./solver');
    const reply = await h.run('UALICE', '/mpi up 2 demo');
    await h.settle();

    await at(43); // a tick after the start: the warning acted on must not be "withdrawn" over the notice
    const warningId = h.chat.calls.find((call) => call.message?.text.includes('has been idle'))!.ref!
      .messageId;

    expect(h.chat.latest.get(warningId)?.text).toMatch(/^Stopped \(deallocated\) `demo`/);
    expect(runWhileStopped.message.text).toBe(
      '`demo` is stopped (deallocated, disks kept): `/mpi up <nodes> demo` with its node count and size starts it again, then try again.',
    );
    expect(reply.message.text).toMatch(/^Starting `demo` again: 2 × local/);
    expect(state()).toBe('ready');
    const usage = h.store.listUsage(id);
    expect(usage).toHaveLength(4);
    expect(usage.filter((row) => row.stoppedAtMs === null)).toHaveLength(2);
    expect(usage.every((row) => row.usdPerHour === 3.6 && row.region === 'eastus')).toBe(true);
  });
});
