import { describe, expect, it } from 'vitest';
import { makeHarness } from '../../test/fakes/harness.ts';
import type { Message } from '../ports/chat.ts';

const HOUR = 3_600_000;

/** A cluster the fake cloud holds that no row of the store stands for. */
function addOrphan(h: ReturnType<typeof makeHarness>, clusterId = 'stray-a1b2c3') {
  h.provider.clusters.set(clusterId, {
    name: 'stray',
    nodeCount: 4,
    keys: [],
    size: 'big',
    createdAtMs: h.clock.nowInMs() - 3 * HOUR,
    labels: { channelId: 'C1', ownerId: 'UALICE' },
  });
  return clusterId;
}

function postsTo(h: ReturnType<typeof makeHarness>, channelId: string) {
  return h.chat.calls.filter((call) => call.method === 'post' && call.ref?.channelId === channelId);
}

function downButtonOf(message: Message | undefined) {
  return message?.blocks.flatMap((block) => (block.kind === 'actions' ? block.buttons : []))[0];
}

describe('Reconciler', () => {
  it('reports an orphan once per run, with its name, age, node count × size and a Down button', async () => {
    const h = makeHarness();
    const id = addOrphan(h);

    const first = await h.reconciler.runOnce();
    h.clock.advance(HOUR);
    const second = await h.reconciler.runOnce();
    await h.settle();

    expect(first.orphans).toEqual([id]);
    expect(second.orphans).toEqual([id]);
    const posts = postsTo(h, 'CADMIN');
    expect(posts).toHaveLength(1);
    const report = posts[0]?.message;
    expect(report?.text).toContain('stray');
    expect(report?.text).toContain('fake-stray-a1b2c3');
    expect(report?.text).toContain('4 × big');
    expect(report?.text).toContain(`/mpi down ${id} --yes`);
    expect(report?.blocks).toContainEqual({
      kind: 'fields',
      fields: expect.arrayContaining([['Cost per hour', 'not known yet (mpibox has no prices)']]),
    });
    expect(report?.text).toContain('age 3 h 00 min');
    expect(downButtonOf(report)).toMatchObject({ action: 'cluster-down', value: id, style: 'danger' });
    expect(h.provider.clusters.has(id)).toBe(true); // reported, never deleted by itself
    expect(h.logger.lines.filter((line) => line.message === 'orphaned cluster found')).toHaveLength(1);
  });

  it('reports an orphan again when it changed', async () => {
    const h = makeHarness();
    const id = addOrphan(h);
    await h.reconciler.runOnce();

    const cluster = h.provider.clusters.get(id);
    if (cluster) cluster.nodeCount = 6;
    await h.reconciler.runOnce();
    await h.settle();

    const posts = postsTo(h, 'CADMIN');
    expect(posts.map((post) => post.message?.text.match(/\d+ × big/)?.[0])).toEqual(['4 × big', '6 × big']);
  });

  it('counts a cluster whose row failed or was deleted long ago (a create whose rollback failed) as an orphan', async () => {
    const h = makeHarness();
    h.provider.failNext('waitReady');
    h.provider.failNext('terminate'); // the rollback fails: the nodes stay behind
    await h.run('UALICE', '/mpi up 2 demo');
    const id = h.store.listLiveClusters().length === 0 ? [...h.provider.clusters.keys()][0] : undefined;
    h.clock.advance(1000);

    const result = await h.reconciler.runOnce();

    expect(id).toBeDefined();
    expect(h.store.getCluster(id ?? '')?.state).toBe('failed');
    expect(result.orphans).toEqual([id]);
  });

  it('lets an admin delete an orphan with Down, and refuses anyone else', async () => {
    const h = makeHarness({ adminIds: ['UADMIN'] });
    const id = addOrphan(h);
    await h.reconciler.runOnce();
    await h.settle();

    const refused = await h.dispatcher.action(h.actor('UALICE', 'CADMIN'), 'cluster-down', id);
    await h.settle();
    const stillThere = h.provider.clusters.has(id);
    const accepted = await h.dispatcher.action(h.actor('UADMIN', 'CADMIN'), 'cluster-down', id);
    await h.settle();

    expect(refused.message.text).toMatch(/^Only an admin can down `stray`/);
    expect(stillThere).toBe(true);
    expect(accepted.message.text).toMatch(/Deleting the orphan `stray`/);
    expect(h.provider.clusters.has(id)).toBe(false);
    expect(h.provider.calls.filter((call) => call === `terminate ${id}`)).toHaveLength(1);
    const reportRef = postsTo(h, 'CADMIN')[0]?.ref;
    const settled = h.chat.latest.get(reportRef?.messageId ?? '');
    expect(settled?.text).toMatch(/deleted by <@UADMIN>/);
    expect(downButtonOf(settled)).toBeUndefined();
    expect(h.store.listAudit(10).map((row) => row.result)).toEqual(
      expect.arrayContaining(['forbidden', 'ok']),
    );
  });

  it('lets an admin delete an orphan from an older report (a previous run of the bot)', async () => {
    const h = makeHarness({ adminIds: ['UADMIN'] });
    const id = addOrphan(h);

    const reply = await h.dispatcher.action(h.actor('UADMIN', 'CADMIN'), 'cluster-down', id);
    await h.settle();

    expect(reply.message.text).toMatch(/Deleting the orphan/);
    expect(h.provider.clusters.has(id)).toBe(false);
  });

  it('deletes an orphan by `/mpi down <id> --yes` (the console has no buttons), admins only', async () => {
    const h = makeHarness({ adminIds: ['UADMIN'] });
    const id = addOrphan(h);
    await h.reconciler.runOnce();

    const byAlice = await h.run('UALICE', `/mpi down ${id} --yes`, 'console');
    const unconfirmed = await h.run('UADMIN', `/mpi down ${id}`, 'console');
    const aliceLeft = h.provider.clusters.has(id);
    const byAdmin = await h.run('UADMIN', `/mpi down ${id} --yes`, 'console');
    await h.settle();

    expect(byAlice.message.text).toMatch(/^Only an admin can down `stray`/);
    expect(unconfirmed.message.text).toMatch(/no cluster `stray-a1b2c3` in this channel/);
    expect(aliceLeft).toBe(true);
    expect(byAdmin.message.text).toMatch(/Deleting the orphan `stray`/);
    expect(h.provider.clusters.has(id)).toBe(false);
  });

  it('leaves the Down button of a known cluster to the cluster service', async () => {
    const h = makeHarness({ adminIds: ['UADMIN'] });
    await h.run('UALICE', '/mpi up 1 demo');
    const id = h.store.findLiveClusterByName('demo')?.id ?? '';
    await h.reconciler.runOnce();

    const stranger = await h.dispatcher.action(h.actor('UBOB'), 'cluster-down', id);

    expect(stranger.message.text).toBe('Only the owner of `demo` (<@UALICE>) or an admin can down it.');
    expect(postsTo(h, 'CADMIN')).toEqual([]);
  });

  it('marks a ready cluster the provider lost: failed, usage closed, said in its thread and card', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 2 demo');
    await h.settle();
    const cluster = h.store.findLiveClusterByName('demo');
    const id = cluster?.id ?? '';
    h.provider.clusters.delete(id); // evicted, or deleted in the portal
    h.clock.advance(HOUR);
    const lostAt = h.clock.nowInMs();

    const result = await h.reconciler.runOnce();
    await h.settle();

    expect(result.lost).toEqual([id]);
    const row = h.store.getCluster(id);
    expect(row?.state).toBe('failed');
    expect(row?.lastError).toMatch(/gone from local/);
    expect(h.store.listUsage(id).map((usage) => usage.stoppedAtMs)).toEqual([lostAt, lostAt]);
    expect(h.published.filter((event) => event.type === 'node-stopped')).toHaveLength(2);
    const reply = h.chat.calls.find((call) => call.method === 'reply');
    expect(reply?.ref?.channelId).toBe('C1');
    expect(reply?.message?.text).toMatch(/nodes of `demo` are gone/);
    const card = h.chat.latest.get(cluster?.cardMessageId ?? '');
    expect(card?.text).toBe('Cluster demo failed');
    expect(card?.blocks).toContainEqual({
      kind: 'text',
      text: expect.stringMatching(/^Problem: its nodes are gone/),
    });
    expect(postsTo(h, 'CADMIN')).toEqual([]);

    // A second round finds nothing more to say.
    const calls = h.chat.calls.length;
    await h.reconciler.runOnce();
    await h.settle();
    expect(h.chat.calls.length).toBe(calls);
  });

  it('leaves a cluster being created alone, even when the provider has nothing of it yet', async () => {
    const h = makeHarness();
    const release = h.provider.holdCreate();
    await h.dispatcher.command(h.actor('UALICE'), '/mpi up 2 demo');
    const id = h.store.findLiveClusterByName('demo')?.id ?? '';
    h.clock.advance(HOUR);

    const result = await h.reconciler.runOnce();
    release();
    await h.settle();

    expect(result).toEqual({ orphans: [], lost: [] });
    expect(h.store.getCluster(id)?.state).toBe('ready');
  });

  it('does not mark a cluster that became ready while the list was being read', async () => {
    const h = makeHarness();
    const release = h.provider.holdCreate();
    await h.dispatcher.command(h.actor('UALICE'), '/mpi up 1 demo');
    const id = h.store.findLiveClusterByName('demo')?.id ?? '';
    const list = h.provider.listClusters.bind(h.provider);
    h.provider.listClusters = async () => {
      const held = await list(); // read before the nodes were there
      h.clock.advance(1000);
      release();
      await h.settle(); // meanwhile the create finishes
      return held;
    };

    const result = await h.reconciler.runOnce();

    expect(h.store.getCluster(id)?.state).toBe('ready');
    expect(result.lost).toEqual([]);
    expect(h.chat.calls.filter((call) => call.method === 'reply')).toEqual([]);
  });

  it('logs an orphan when there is no admin channel', async () => {
    const h = makeHarness({ adminChannelId: null });
    addOrphan(h);

    await h.reconciler.runOnce();
    await h.settle();

    expect(h.chat.calls.filter((call) => call.method === 'post')).toEqual([]);
    expect(h.logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'orphaned cluster found',
        meta: expect.objectContaining({ nodeCount: 4, size: 'big' }),
      }),
    );
  });
});
