import { describe, expect, it } from 'vitest';
import { makeHarness } from '../../test/fakes/harness.ts';

async function until(check: () => boolean, what: string): Promise<void> {
  for (let round = 0; round < 500; round += 1) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`never happened: ${what}`);
}

function threadText(h: ReturnType<typeof makeHarness>): string {
  const replies = h.chat.calls
    .filter((call) => call.method === 'reply')
    .map((call) => call.ref?.messageId ?? '');
  // The log lines only: the cost note at the end is checked on its own.
  return replies
    .map((id) => h.chat.latest.get(id)?.text ?? '')
    .filter((text) => !/^Job #\d+ ran /.test(text))
    .join('');
}

describe('JobService', () => {
  it('starts a job on node 0 with the user command verbatim after a quoted mpiexec, streams and attaches its log', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 2 demo');

    const reply = await h.run('UALICE', `/mpi run -- ./solver 'in put.dat' "$HOME" ; echo done`);
    await until(() => h.runner.jobs.size === 1, 'job started');
    h.runner.write(1, 'step 1\nstep 2\n');
    h.runner.end(1, { kind: 'exited', exitCode: 0 });
    await h.jobTracker.idle();
    await h.settle();

    expect(reply.message.text).toMatch(/Job #1 on `demo` \(4 ranks\): starting/);
    const script = [...h.runner.jobs.values()][0]?.script ?? '';
    expect(script).toContain(
      `'mpiexec' '--machinefile' '/work/demo-${h.store.getJob(1)?.clusterId.split('-')[1]}/machinefile' '-n' '4' '-x' 'MPIBOX_JOB_ID' '-x' 'MPIBOX_JOB_DIR' ./solver 'in put.dat' "$HOME" ; echo done\n`,
    );
    const job = h.store.getJob(1);
    expect(job?.state).toBe('succeeded');
    expect(job?.exitCode).toBe(0);
    expect(job?.logBytes).toBe(14);
    expect(threadText(h)).toBe('step 1\nstep 2\n');
    // Its share of the cluster's cost, in its thread: 2 nodes × its run time × $3.60.
    expect(h.chat.calls.filter((call) => call.method === 'reply').at(-1)?.message?.text).toMatch(
      /^Job #1 ran \d+ s on 2 × local: (<\$0\.01|\$\d+\.\d\d)\.$/,
    );
    expect(h.chat.files).toEqual([
      expect.objectContaining({ name: 'job-1.log', content: 'step 1\nstep 2\n' }),
    ]);
    expect(h.chat.latest.get(job?.messageId ?? '')?.text).toBe('job #1 on demo: succeeded');
  });

  it('records a failing job as failed with its exit code', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 1 demo');

    await h.run('UALICE', '/mpi run -- ./crash');
    await until(() => h.runner.jobs.size === 1, 'job started');
    h.runner.end(1, { kind: 'exited', exitCode: 139 });
    await h.jobTracker.idle();
    await h.settle();

    expect(h.store.getJob(1)).toMatchObject({ state: 'failed', exitCode: 139 });
    expect(h.chat.latest.get(h.store.getJob(1)?.messageId ?? '')?.text).toBe(
      'job #1 on demo: failed (exit code 139)',
    );
  });

  it('resumes from its offset after a dropped connection: every byte once, in order', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 1 demo');
    const expected = Array.from({ length: 200 }, (_, index) => `line ${index}\n`).join('');

    h.runner.dropAfter(777);
    await h.run('UALICE', '/mpi run -- ./count');
    await until(() => h.runner.jobs.size === 1, 'job started');
    h.runner.write(1, expected.slice(0, 1500));
    await until(() => h.runner.calls.filter((call) => call.startsWith('follow')).length === 2, 'reconnected');
    h.runner.write(1, expected.slice(1500));
    h.runner.end(1, { kind: 'exited', exitCode: 0 });
    await h.jobTracker.idle();
    await h.settle();

    expect(
      h.runner.calls.filter((call) => call.startsWith('follow')).map((call) => call.split(' ')[2]),
    ).toEqual(['0', '777']);
    expect(h.chat.files[0]?.content).toBe(expected);
  });

  it('queues a second job until the first ends, and says so', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 1 demo');

    await h.run('UALICE', '/mpi run -- ./first');
    const second = await h.run('UBOB', '/mpi run -- ./second');
    await until(() => h.runner.jobs.size === 1, 'first started');
    const whileFirstRuns = h.store.getJob(2)?.state;
    h.runner.end(1, { kind: 'exited', exitCode: 0 });
    await until(() => h.runner.jobs.size === 2, 'second started');
    h.runner.end(2, { kind: 'exited', exitCode: 0 });
    await h.jobTracker.idle();
    await h.settle();

    expect(second.message.text).toMatch(/queued behind 1 job/);
    expect(whileFirstRuns).toBe('queued');
    expect(
      h.chat.calls.find((call) => call.ref?.messageId === h.store.getJob(2)?.messageId)?.message?.text,
    ).toBe('job #2 on demo: queued (1 ahead)');
    expect(
      h.chat.calls.find(
        (call) => call.method === 'post' && call.ref?.messageId === h.store.getJob(1)?.messageId,
      )?.message?.text,
    ).toBe('job #1 on demo: starting…');
    expect(h.store.getJob(2)?.state).toBe('succeeded');
  });

  it('counts only the jobs that must end first when a cluster runs several at once', async () => {
    const h = makeHarness({ jobsPerCluster: 2 });
    await h.run('UALICE', '/mpi up 1 demo');

    await h.run('UALICE', '/mpi run -- ./first');
    const second = await h.run('UALICE', '/mpi run -- ./second');
    const third = await h.run('UALICE', '/mpi run -- ./third');
    await h.settle();

    expect(second.message.text).toMatch(/Job #2 on `demo` \(2 ranks\): starting/);
    expect(third.message.text).toMatch(/Job #3 on `demo` \(2 ranks\): queued behind 1 job/);
    const posted = (id: number) =>
      h.chat.calls.find(
        (call) => call.method === 'post' && call.ref?.messageId === h.store.getJob(id)?.messageId,
      )?.message?.text;
    expect([posted(2), posted(3)]).toEqual(['job #2 on demo: starting…', 'job #3 on demo: queued (1 ahead)']);
  });

  it('cancels a queued job without starting it, and a running one through the runner', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 1 demo');
    await h.run('UALICE', '/mpi run -- ./first');
    await h.run('UALICE', '/mpi run -- ./second');
    await until(() => h.runner.jobs.size === 1, 'first started');

    const byBob = await h.run('UBOB', '/mpi cancel 1');
    await h.run('UALICE', '/mpi cancel 2');
    await h.run('UALICE', '/mpi cancel #1');
    await h.jobTracker.idle();
    await h.settle();

    expect(byBob.message.text).toMatch(/Only the owner of `#1`/);
    expect(h.store.getJob(2)?.state).toBe('cancelled');
    expect(h.runner.calls.filter((call) => call.startsWith('start'))).toHaveLength(1);
    expect(h.store.getJob(1)).toMatchObject({ state: 'cancelled', note: 'cancelled by <@UALICE>' });
    expect(h.runner.calls).toContain('cancel 1');
  });

  it('cancels a job that outlives --timeout', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 1 demo');

    await h.run('UALICE', '/mpi run --timeout 10m -- sleep 100000');
    await h.until(() => h.store.getJob(1)?.state === 'running', 'job running');
    const started = h.store.getJob(1)!.startedAtMs!;
    h.clock.advance(started + 9 * 60_000 - h.clock.nowInMs());
    await h.settle();
    const before = h.store.getJob(1)!.state;
    h.clock.advance(60_000); // the fake clock fires the timer: no real waiting
    await h.jobTracker.idle();
    await h.settle();

    expect(before).toBe('running');
    expect(h.store.getJob(1)).toMatchObject({
      state: 'cancelled',
      note: 'timed out after 10 min (--timeout)',
    });
    expect(h.clock.pendingTimers).toBe(0);
  });

  it('runs a job as the provider’s job user when the bot logs in as an admin (Azure)', async () => {
    const h = makeHarness();
    h.provider.jobsRunAs = 'mpi';
    await h.run('UALICE', '/mpi up 1 demo');

    await h.run('UALICE', '/mpi run -- ./solver');
    await h.until(() => h.runner.jobs.size === 1, 'job started');

    expect(h.runner.startTargets).toEqual([expect.objectContaining({ user: 'admin', runAs: 'mpi' })]);
  });

  it('keeps a fast job’s thread readable: few messages, each within limits, complete attachment', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 1 demo');
    const lines = Array.from({ length: 20_000 }, (_, index) => `output line ${index}\n`);

    await h.run('UALICE', '/mpi run -- ./chatty');
    await until(() => h.runner.jobs.size === 1, 'job started');
    for (let index = 0; index < lines.length; index += 500)
      h.runner.write(1, lines.slice(index, index + 500).join(''));
    h.runner.end(1, { kind: 'exited', exitCode: 0 });
    await h.jobTracker.idle();
    await h.settle();

    const logCalls = h.chat.calls.filter(
      (call) =>
        call.method === 'reply' || (call.method === 'update' && call.message?.blocks[0]?.kind === 'code'),
    );
    expect(logCalls.length).toBeLessThan(60);
    for (const call of logCalls) expect(call.message?.text.length ?? 0).toBeLessThanOrEqual(3000);
    expect(threadText(h)).toMatch(/not shown here; the complete log is attached/);
    expect(threadText(h)).toContain('output line 19999\n');
    expect(h.chat.files[0]?.content).toBe(lines.join(''));
  });

  it('spaces every chat call of a channel, cluster cards and job messages alike, 1 s apart', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 1 demo');
    await h.run('UALICE', '/mpi run -- ./chatty');
    await until(() => h.runner.jobs.size === 1, 'job started');
    h.runner.write(1, 'step 1\n');
    await h.run('UALICE', '/mpi resize demo 2');
    h.runner.write(1, 'step 2\n');
    h.runner.end(1, { kind: 'exited', exitCode: 0 });
    await h.jobTracker.idle();
    await h.settle();

    const times = h.chat.calls.filter((call) => call.method !== 'ephemeral').map((call) => call.atMs ?? 0);
    const gaps = times.slice(1).map((at, index) => at - (times[index] ?? 0));
    expect(h.chat.calls.filter((call) => call.method === 'update').length).toBeGreaterThan(3);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1000);
  });

  it('starts no job in a channel the bot was removed from, and says how to fix it', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 1 demo');
    h.chat.channelsWithoutBot.add('C1');

    const reply = await h.run('UALICE', '/mpi run -- ./orphan');
    await h.jobTracker.idle();

    expect(reply.message.text).toMatch(/^I cannot post in this channel .*`\/invite @mpibox`/);
    expect(h.runner.calls).toEqual([]);
    expect(h.store.getJob(1)).toMatchObject({ state: 'cancelled' });
    expect(h.store.getJob(1)?.endedAtMs).not.toBeNull();
  });

  it('starts no job before its message is posted, so a refused post leaves nothing running', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 1 demo');
    await h.run('UALICE', '/mpi run -- ./first');
    await until(() => h.runner.jobs.size === 1, 'first started');
    const release = h.chat.holdNextPost();

    const second = h.run('UALICE', '/mpi run -- ./second');
    await until(() => h.store.getJob(2) !== null, 'second queued');
    h.runner.end(1, { kind: 'exited', exitCode: 0 }); // its slot frees while the post waits
    await until(() => h.store.getJob(1)?.endedAtMs !== null, 'first ended');
    h.chat.channelsWithoutBot.add('C1'); // and then Slack refuses the post
    release();
    const reply = await second;
    await h.jobTracker.idle();

    expect(reply.message.text).toMatch(/^I cannot post in this channel/);
    expect(h.runner.calls.filter((call) => call.startsWith('start'))).toHaveLength(1);
    expect(h.store.getJob(2)?.state).toBe('cancelled');
  });

  it('refuses more ranks than the cluster has slots, and hostile words before --', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 2 demo');

    const tooMany = await h.run('UALICE', '/mpi run -n 5 -- ./a');
    const hostile = await h.run('UALICE', "/mpi run -n '4; rm -rf ~' -- ./a");

    expect(tooMany.message.text).toMatch(/room for 4 ranks.*-n 5 would oversubscribe/);
    expect(hostile.message.text).not.toMatch(/Job #/);
    expect(h.store.getJob(1)).toBeNull();
  });

  it('ends a cluster’s jobs as cancelled when the cluster is deleted', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 1 demo');
    await h.run('UALICE', '/mpi run -- ./long');
    await until(() => h.runner.jobs.size === 1, 'job started');

    await h.run('UALICE', '/mpi down demo --yes');
    await h.jobTracker.idle();
    await h.settle();

    expect(h.store.getJob(1)).toMatchObject({
      state: 'cancelled',
      note: 'cancelled: its cluster was deleted',
    });
  });

  it('kills a job cancelled while it was still being started', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 1 demo');
    const release = h.runner.holdStart();

    await h.run('UALICE', '/mpi run -- ./slow-to-start');
    await until(() => h.runner.calls.some((call) => call.startsWith('start')), 'start begun');
    await h.run('UALICE', '/mpi cancel 1');
    release();
    await h.jobTracker.idle();
    await h.settle();

    expect(h.runner.calls).toContain('cancel 1');
    expect(h.store.getJob(1)).toMatchObject({ state: 'cancelled', note: 'cancelled by <@UALICE>' });
  });

  it('keeps trying a cancel whose kill failed, and says cancelled only once it worked', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 1 demo');
    await h.run('UALICE', '/mpi run -- ./long');
    await until(() => h.runner.jobs.size === 1, 'job started');
    h.runner.failNextCancels(3);
    const cancelledAt = h.clock.nowInMs();

    const reply = await h.run('UALICE', '/mpi cancel 1');
    await h.jobTracker.idle();
    await h.settle();

    expect(reply.message.text).toMatch(
      /not every process of it could be stopped yet: ssh connection failed \(127\.0\.0\.1:10106\)\. mpibox keeps trying/,
    );
    expect(h.runner.calls.filter((call) => call === 'cancel 1')).toHaveLength(4);
    const job = h.store.getJob(1);
    expect(job).toMatchObject({ state: 'cancelled', note: 'cancelled by <@UALICE>' });
    expect(job?.endedAtMs ?? 0).toBeGreaterThanOrEqual(cancelledAt + 1000 + 2000 + 4000); // after the retries
    const cardTexts = h.chat.calls
      .filter((call) => call.method === 'update' && call.ref?.messageId === job?.messageId)
      .map((call) => call.message?.text);
    expect(cardTexts).toContain('job #1 on demo: cancelling…');
    expect(cardTexts.at(-1)).toBe('job #1 on demo: cancelled');
  });

  it('ends a cancelled job with a note when its processes can never be confirmed stopped', async () => {
    const h = makeHarness(); // a job counts as lost after 60 s of an unreachable node
    await h.run('UALICE', '/mpi up 1 demo');
    await h.run('UALICE', '/mpi run -- ./long');
    await until(() => h.runner.jobs.size === 1, 'job started');
    h.runner.failNextCancels(100);
    const cancelledAt = h.clock.nowInMs();

    await h.run('UALICE', '/mpi cancel 1');
    h.runner.end(1, { kind: 'vanished' });
    await h.jobTracker.idle();
    await h.settle();

    expect(h.runner.calls.filter((call) => call === 'cancel 1').length).toBeGreaterThanOrEqual(5);
    expect(h.store.getJob(1)?.state).toBe('cancelled');
    expect(h.store.getJob(1)?.endedAtMs ?? 0).toBeGreaterThanOrEqual(cancelledAt + 60_000);
    expect(h.store.getJob(1)?.note).toMatch(
      /^cancelled by <@UALICE>; its processes could not be confirmed stopped on every node: .*127\.0\.0\.1/,
    );
  });

  it('deletes a cluster whose running job could not be killed: the nodes going ends it', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 1 demo');
    await h.run('UALICE', '/mpi run -- ./server');
    await until(() => h.runner.jobs.size === 1, 'job started');
    h.runner.failNextCancels(1); // node 0 refuses the kill; the log connection stays up

    await h.run('UALICE', '/mpi down demo --yes');
    await h.jobTracker.idle();

    expect(h.store.findLiveClusterByName('demo')).toBeNull();
    expect(h.provider.calls.filter((call) => call.startsWith('terminate'))).toHaveLength(1);
    expect(h.store.getJob(1)).toMatchObject({
      state: 'cancelled',
      note: 'cancelled: its cluster was deleted',
    });
    expect(h.store.getJob(1)?.endedAtMs).not.toBeNull();
  });

  it('gives up on an unconfirmable kill once, and records the end without a second round', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 1 demo');
    await h.run('UALICE', '/mpi run -- ./long');
    await until(() => h.runner.jobs.size === 1, 'job started');
    h.runner.failNextCancels(10_000);
    const cancelledAt = h.clock.nowInMs();

    await h.dispatcher.command(h.actor('UALICE'), '/mpi cancel 1');
    await until(() => (h.store.getJob(1)?.note ?? '').includes('could not be confirmed'), 'gave up');
    const killsAtGiveUp = h.runner.calls.filter((call) => call === 'cancel 1').length;
    h.runner.end(1, { kind: 'exited', exitCode: 0 });
    await h.jobTracker.idle();

    expect(h.runner.calls.filter((call) => call === 'cancel 1')).toHaveLength(killsAtGiveUp);
    expect((h.store.getJob(1)?.endedAtMs ?? 0) - cancelledAt).toBeLessThan(2 * 60_000);
    expect(h.store.getJob(1)?.note?.match(/could not be confirmed/g)).toHaveLength(1);
  });

  it('starts a queued job once a cluster lost in a restart is created again', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 1 demo');
    await h.run('UALICE', '/mpi run -- ./first');
    await h.run('UALICE', '/mpi run -- ./second');
    await until(() => h.runner.jobs.size === 1, 'first started');
    h.provider.clusters.delete(h.store.getJob(1)?.clusterId ?? ''); // the machine lost it
    const release = h.provider.holdCreate(); // and creating it again takes a while

    const restarted = h.restart();
    await until(() => h.provider.calls.some((call) => call.startsWith('create')), 're-create begun');
    release();
    await until(
      () => h.runner.calls.filter((call) => call.startsWith('start')).length === 2,
      'second started',
    );
    h.runner.end(2, { kind: 'exited', exitCode: 0 });
    await restarted.idle();

    expect(h.store.getJob(2)).toMatchObject({ state: 'succeeded' });
  });

  it('never launches a job cancelled while its start was pending across a restart', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 1 demo');
    h.runner.holdStart(); // the first bot's start never answers: it dies meanwhile
    void h.run('UALICE', '/mpi run -- ./never');
    await until(() => h.runner.calls.some((call) => call.startsWith('start')), 'start begun');
    h.runner.jobs.clear(); // ... and the launch never reached the node
    void h.dispatcher.command(h.actor('UALICE'), '/mpi cancel 1');
    await until(() => h.store.getJob(1)?.state === 'cancelled', 'cancel recorded');

    const restarted = h.restart();
    await restarted.idle();

    expect(h.runner.calls.filter((call) => call.startsWith('start'))).toHaveLength(1);
    expect(h.runner.calls).toContain('cancel 1'); // the folder is checked for a late start
    expect(h.store.getJob(1)).toMatchObject({ state: 'cancelled', note: 'cancelled by <@UALICE>' });
    expect(h.store.getJob(1)?.endedAtMs).not.toBeNull();
  });

  it('starts no queued job while its cluster is being resized, and starts it once ready', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 2 demo');
    await h.run('UALICE', '/mpi run -- ./first');
    await h.run('UALICE', '/mpi run -n 2 -- ./second');
    await until(() => h.runner.jobs.size === 1, 'first started');
    const release = h.provider.holdResize();

    await h.dispatcher.command(h.actor('UALICE'), '/mpi resize demo 3');
    h.runner.end(1, { kind: 'exited', exitCode: 0 });
    await until(() => h.store.getJob(1)?.endedAtMs !== null, 'first ended');
    await new Promise((resolve) => setTimeout(resolve, 20)); // (settle would wait for the resize)
    const startsWhileResizing = h.runner.calls.filter((call) => call.startsWith('start')).length;
    release();
    await until(() => h.runner.jobs.size === 2, 'second started after the resize');

    expect(startsWhileResizing).toBe(1);
    expect(h.store.getJob(2)?.state).toBe('running');
  });

  it('holds the run slot of a cancelled job until its processes are gone', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 1 demo');
    await h.run('UALICE', '/mpi run -- ./first');
    await h.run('UALICE', '/mpi run -- ./second');
    await until(() => h.runner.jobs.size === 1, 'first started');
    const release = h.runner.holdCancel();

    const cancelling = h.run('UALICE', '/mpi cancel 1');
    await until(() => h.runner.calls.includes('cancel 1'), 'kill begun');
    await h.settle();
    const startsWhileKilling = h.runner.calls.filter((call) => call.startsWith('start')).length;
    release();
    await cancelling;
    await until(() => h.runner.jobs.size === 2, 'second started');

    expect(startsWhileKilling).toBe(1);
    expect(h.store.getJob(2)?.state).toBe('running');
  });

  it('finishes a cancel the bot did not confirm before it was restarted', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 1 demo');
    await h.run('UALICE', '/mpi run -- ./first');
    await h.run('UALICE', '/mpi run -- ./second');
    await until(() => h.runner.jobs.size === 1, 'first started');
    h.runner.holdCancel(); // the bot dies while the kill is under way: it never answers
    void h.run('UALICE', '/mpi cancel 1');
    await until(() => h.runner.calls.includes('cancel 1'), 'kill begun');

    const restarted = h.restart();
    await until(() => h.runner.jobs.size === 2, 'second started after the restart');
    h.runner.end(2, { kind: 'exited', exitCode: 0 });
    await restarted.idle();

    expect(h.runner.calls.filter((call) => call === 'cancel 1')).toHaveLength(2);
    expect(h.store.getJob(1)?.state).toBe('cancelled');
    expect(h.store.getJob(1)?.endedAtMs).not.toBeNull();
    expect(h.store.getJob(2)).toMatchObject({ state: 'succeeded', exitCode: 0 });
  });

  it('gives up on a start whose answers keep getting lost, and stops what it may have launched', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 1 demo');
    h.runner.failNextStartAfterLaunch(3);

    await h.run('UALICE', '/mpi run -- ./never-answered');
    await h.jobTracker.idle();
    await h.settle();

    expect(h.runner.calls.filter((call) => call.startsWith('start'))).toHaveLength(3);
    expect(h.runner.calls).toContain('cancel 1');
    expect([...h.runner.jobs.values()][0]?.outcome).toEqual({ kind: 'exited', exitCode: 143 });
    expect(h.store.getJob(1)).toMatchObject({
      state: 'failed',
      note: 'it could not start: connection dropped after the launch',
    });
  });

  it('asks again when the answer to a start is lost, and runs the job once', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 1 demo');
    h.runner.failNextStartAfterLaunch();

    await h.run('UALICE', '/mpi run -- ./once');
    await until(() => h.runner.calls.filter((call) => call.startsWith('start')).length === 2, 'second start');
    h.runner.end(1, { kind: 'exited', exitCode: 0 });
    await h.jobTracker.idle();
    await h.settle();

    expect(h.runner.jobs.size).toBe(1);
    expect(h.store.getJob(1)).toMatchObject({ state: 'succeeded', exitCode: 0 });
  });
});
