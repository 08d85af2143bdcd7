import { describe, expect, it } from 'vitest';
import { makeHarness, snapshot } from '../../test/fakes/harness.ts';

describe('ClusterService', () => {
  it('creates a cluster: a card that ends ready with ssh lines and the machinefile, usage opened per node', async () => {
    const h = makeHarness();

    const reply = await h.run('UALICE', '/mpi up 2 demo');

    const cluster = h.store.findLiveClusterByName('demo');
    expect(reply.message.text).toMatch(/Creating cluster `demo`: 2 × local/);
    expect(cluster?.state).toBe('ready');
    expect(cluster?.ownerId).toBe('UALICE');
    expect(h.store.listNodes(cluster?.id ?? '').map((node) => node.name)).toEqual(['demo-0', 'demo-1']);
    expect(h.store.listUsage(cluster?.id ?? '').filter((usage) => usage.stoppedAtMs === null)).toHaveLength(
      2,
    );
    const card = h.chat.latest.get(cluster?.cardMessageId ?? '');
    const text = JSON.stringify(card?.blocks);
    expect(text).toContain('ssh -i <your key> -p 10106 tester@127.0.0.1    # demo-0');
    expect(text).toContain('ssh -i <your key> -p 10107 tester@127.0.0.1    # demo-1');
    expect(text).toContain('demo-0 slots=2\\ndemo-1 slots=2');
    expect(h.chat.calls.filter((call) => call.method === 'update').length).toBeGreaterThanOrEqual(1);
  });

  it('running the same up twice makes one cluster', async () => {
    const h = makeHarness();

    await h.run('UALICE', '/mpi up 2 demo');
    const second = await h.run('UALICE', '/mpi up 2 demo');

    expect(h.store.listLiveClusters()).toHaveLength(1);
    expect(h.provider.calls.filter((call) => call.startsWith('create'))).toHaveLength(1);
    expect(second.message.text).toMatch(/ready/);
  });

  it('refuses a name taken in another channel, and names a cluster when none is given', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 2 demo');

    const taken = await h.run('UBOB', '/mpi up 2 demo', 'C2');
    await h.run('UBOB', '/mpi up 1');

    expect(taken.message.text).toBe(
      'The name `demo` is taken by a live cluster in another channel; pick another name.',
    );
    expect(h.store.findLiveClusterByName('mpi-1')?.ownerId).toBe('UBOB');
  });

  // `up NAME` again in the same channel with another spec: say what exists, change nothing.
  const otherSpecs: [input: string, answer: string][] = [
    [
      '/mpi up 2 demo --spot',
      'A cluster named `demo` already exists in this channel with 2 × local (not spot), not the ' +
        '2 × local (spot) you asked for; nothing was changed. Use `/mpi down demo` first to replace it, ' +
        'or pick another name.',
    ],
    [
      '/mpi up 1 demo',
      'A cluster named `demo` already exists in this channel with 2 × local, not the 1 × local you ' +
        'asked for; nothing was changed. Use `/mpi resize demo 1` to change its node count, ' +
        '`/mpi down demo` first to replace it, or pick another name.',
    ],
    [
      '/mpi up 2 demo --size big',
      'A cluster named `demo` already exists in this channel with 2 × local, not the 2 × big you ' +
        'asked for; nothing was changed. Use `/mpi down demo` first to replace it, or pick another name.',
    ],
    [
      '/mpi up 3 demo --size big --spot',
      'A cluster named `demo` already exists in this channel with 2 × local (not spot), not the ' +
        '3 × big (spot) you asked for; nothing was changed. Use `/mpi down demo` first to replace it, ' +
        'or pick another name.',
    ],
  ];

  it.each(otherSpecs)('answers %s, when demo exists, with how it differs', async (input, answer) => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 2 demo');
    const before = snapshot(h.store, ['UALICE'], ['C1']);
    const chatCalls = h.chat.calls.length;

    const reply = await h.run('UALICE', input);

    expect(reply).toEqual({ visibility: 'ephemeral', message: expect.objectContaining({ text: answer }) });
    expect(snapshot(h.store, ['UALICE'], ['C1'])).toBe(before);
    expect(h.provider.calls.filter((call) => call.startsWith('create'))).toHaveLength(1);
    expect(h.chat.calls.length).toBe(chatCalls);
    expect(h.store.listAudit(1)[0]).toMatchObject({ text: input, result: 'conflict' });
  });

  it('lets only the owner or an admin resize or down', async () => {
    const h = makeHarness({ adminIds: ['UADMIN'] });
    await h.run('UALICE', '/mpi up 2 demo');

    const resizeByBob = await h.run('UBOB', '/mpi resize demo 3');
    const downByBob = await h.run('UBOB', '/mpi down demo --yes');
    const clickByBob = await h.dispatcher.action(
      h.actor('UBOB'),
      'cluster-down',
      h.store.findLiveClusterByName('demo')?.id ?? '',
    );
    const nodesAfterBob = h.store.findLiveClusterByName('demo')?.nodeCount;
    await h.run('UADMIN', '/mpi resize demo 3');
    const nodesAfterAdmin = h.store.findLiveClusterByName('demo')?.nodeCount;
    await h.run('UADMIN', '/mpi down demo --yes');

    expect(resizeByBob.message.text).toBe('Only the owner of `demo` (<@UALICE>) or an admin can resize it.');
    expect(downByBob.message.text).toBe('Only the owner of `demo` (<@UALICE>) or an admin can down it.');
    expect(clickByBob.message.text).toMatch(/Only the owner/);
    expect(nodesAfterBob).toBe(2);
    expect(nodesAfterAdmin).toBe(3);
    expect(h.store.findLiveClusterByName('demo')).toBeNull();
    expect(h.store.listAudit(10).map((row) => row.result)).toContain('forbidden');
  });

  it('asks for confirmation before down, then deletes and closes every usage interval', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 2 demo');
    const id = h.store.findLiveClusterByName('demo')?.id ?? '';

    const ask = await h.run('UALICE', '/mpi down demo');
    const stillThere = h.store.getCluster(id)?.state;
    await h.settle();
    h.clock.advance(3_600_000);
    const downAt = h.clock.nowInMs();
    await h.run('UALICE', '/mpi down demo --yes');

    expect(ask.message.text).toMatch(/\/mpi down demo --yes/);
    expect(ask.message.blocks.some((block) => block.kind === 'actions')).toBe(true);
    expect(stillThere).toBe('ready');
    expect(h.store.getCluster(id)?.state).toBe('deleted');
    expect(h.provider.clusters.has(id)).toBe(false);
    const usage = h.store.listUsage(id);
    expect(usage.map((row) => row.stoppedAtMs)).toEqual([downAt, downAt]);
    expect(usage.every((row) => downAt - row.startedAtMs >= 3_600_000)).toBe(true);
  });

  it('downs once on a double click', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 1 demo');
    const id = h.store.findLiveClusterByName('demo')?.id ?? '';

    await Promise.all([
      h.dispatcher.action(h.actor('UALICE'), 'cluster-down', id),
      h.dispatcher.action(h.actor('UALICE'), 'cluster-down', id),
    ]);
    await h.tracker.idle();

    expect(h.provider.calls.filter((call) => call.startsWith('terminate'))).toHaveLength(1);
    expect(h.store.getCluster(id)?.state).toBe('deleted');
    const late = await h.dispatcher.action(h.actor('UALICE'), 'cluster-down', id);
    const stranger = await h.dispatcher.action(h.actor('UBOB'), 'cluster-down', id);
    expect(late.message.text).toBe('`demo` is already deleted or being deleted.');
    expect(stranger.message.text).toBe('Only the owner of `demo` (<@UALICE>) or an admin can down it.');
  });

  it('marks a cluster failed, says why, and terminates what was made when creation fails', async () => {
    const h = makeHarness();
    h.provider.failNext('waitReady', 'node 1 never booted');

    await h.run('UALICE', '/mpi up 2 demo');

    const cluster = h.store.listLiveClusters()[0];
    expect(cluster).toBeUndefined();
    expect(h.provider.calls.filter((call) => call.startsWith('terminate'))).toHaveLength(1);
    expect(h.store.listAudit(1)[0]?.result).toBe('ok');
    const failedCard = [...h.chat.latest.values()].map((message) => message.text).join('\n');
    expect(failedCard).toMatch(/Cluster demo failed/);
    expect(JSON.stringify([...h.chat.latest.values()])).toMatch(/node 1 never booted/);
  });

  it('rolls back a create of which one node failed and says which node and what the cloud said', async () => {
    const h = makeHarness();
    h.provider.failingNodes.set(1, {
      code: 'SkuNotAvailable',
      message: 'The requested size is not available.',
    });

    await h.run('UALICE', '/mpi up 3 demo');

    expect(h.store.listLiveClusters()).toEqual([]);
    expect(h.provider.calls.filter((call) => call.startsWith('terminate'))).toHaveLength(1);
    expect(h.provider.clusters.size).toBe(0);
    const card = [...h.chat.latest.values()].map((message) => message.text).join('\n');
    expect(card).toMatch(/Cluster demo failed/);
    expect(JSON.stringify([...h.chat.latest.values()])).toContain(
      'The cloud refused node demo-1: SkuNotAvailable: The requested size is not available.',
    );
  });

  it('resolves an omitted name only when the channel has exactly one cluster', async () => {
    const h = makeHarness();

    const none = await h.run('UALICE', '/mpi status');
    await h.run('UALICE', '/mpi up 1 one');
    const single = await h.run('UALICE', '/mpi status');
    await h.run('UALICE', '/mpi up 1 two');
    const several = await h.run('UALICE', '/mpi status');
    const otherChannel = await h.run('UALICE', '/mpi status one', 'C2');

    expect(none.message.text).toMatch(/no cluster in this channel/);
    expect(single.message.text).toMatch(/Cluster one is ready/);
    expect(several.message.text).toMatch(/2 clusters \(one, two\)/);
    expect(otherChannel.message.text).toMatch(/no cluster `one` in this channel/);
  });

  it('enforces the per-cluster and total node quotas', async () => {
    const h = makeHarness({ maxNodesPerCluster: 8, maxTotalNodes: 10 });
    await h.run('UALICE', '/mpi up 8 big');

    const overTotal = await h.run('UBOB', '/mpi up 4 more');
    const resizeOver = await h.run('UALICE', '/mpi resize big 9');

    expect(overTotal.message.text).toMatch(/bring live nodes to 12, over the limit of 10/);
    expect(resizeOver.message.text).toMatch(/more than the maximum of 8/);
    expect(h.store.listLiveClusters().map((cluster) => cluster.name)).toEqual(['big']);
  });

  it('does not shrink a cluster under a running job, nor below what a queued job needs', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 3 demo'); // 2 slots per node
    await h.run('UALICE', '/mpi run -- ./first');
    await h.run('UALICE', '/mpi run -n 4 -- ./second');
    await h.until(() => h.runner.jobs.size === 1, 'first started');
    const before = h.store.findLiveClusterByName('demo');

    const whileRunning = await h.run('UALICE', '/mpi resize demo 1');
    const growing = await h.run('UALICE', '/mpi resize demo 4');
    await h.until(() => h.store.findLiveClusterByName('demo')?.state === 'ready', 'grown');
    h.runner.end(1, { kind: 'exited', exitCode: 0 });
    await h.until(() => h.runner.jobs.size === 2, 'second started');
    h.runner.end(2, { kind: 'exited', exitCode: 0 });
    await h.jobTracker.idle();
    await h.settle();
    const whenIdle = await h.run('UALICE', '/mpi resize demo 1');

    expect(whileRunning.message.text).toBe(
      '`demo` cannot shrink to 1 node(s) now: job #1 is running, queued job #2 needs 4 ranks (room for 2). ' +
        'Wait for them to end or cancel them (`/mpi cancel <job>`), then resize.',
    );
    expect(before?.nodeCount).toBe(3);
    expect(growing.message.text).toMatch(/Resizing `demo` from 3 to 4/);
    expect(whenIdle.message.text).toMatch(/Resizing `demo` from 4 to 1/);
    expect(h.store.findLiveClusterByName('demo')?.nodeCount).toBe(1);
  });

  it('creates nothing in a channel the bot may not post in, and says how to fix it', async () => {
    const h = makeHarness();
    h.chat.channelsWithoutBot.add('C9');

    const reply = await h.run('UALICE', '/mpi up 2 lonely', 'C9');

    expect(reply.message.text).toBe(
      'I cannot post in this channel (Slack says `not_in_channel`), so nothing was started: the cluster card and job logs would have nowhere to go. Invite me with `/invite @mpibox`, then run the command again.',
    );
    expect(h.provider.calls.filter((call) => call.startsWith('create'))).toEqual([]);
    expect(h.store.listLiveClusters('C9')).toEqual([]);
    h.chat.channelsWithoutBot.delete('C9'); // invited: the same command works, the name is free
    expect((await h.run('UALICE', '/mpi up 2 lonely', 'C9')).message.text).toMatch(
      /Creating cluster `lonely`/,
    );
  });

  it('status waits for a cluster still being created', async () => {
    const h = makeHarness();

    const upReply = await h.dispatcher.command(h.actor('UALICE'), '/mpi up 2 demo');
    const statusReply = await h.dispatcher.command(h.actor('UALICE'), '/mpi status demo');

    expect(upReply.message.text).toMatch(/Creating/);
    expect(statusReply.message.text).toMatch(/Cluster demo is ready/);
  });

  it('recovers after a restart: finishes a create, finishes a delete, recreates a lost cluster', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 1 lost');
    await h.run('UALICE', '/mpi up 1 half');
    const lost = h.store.findLiveClusterByName('lost')?.id ?? '';
    const half = h.store.findLiveClusterByName('half')?.id ?? '';
    h.provider.clusters.delete(lost);
    h.store.updateCluster(half, { state: 'deleting', updatedAtMs: h.clock.nowInMs() });

    h.clusters.recoverAll();
    await h.tracker.idle();

    expect(h.store.getCluster(lost)?.state).toBe('ready');
    expect(h.provider.clusters.has(lost)).toBe(true);
    expect(h.store.getCluster(half)?.state).toBe('deleted');
    expect(h.store.listLiveClusters().map((cluster) => cluster.name)).toEqual(['lost']);
  });
});
