import { describe, expect, it } from 'vitest';
import { MpiboxError } from '../domain/errors.ts';
import type { ClusterInfo } from '../ports/cloud-provider.ts';
import { makeHarness } from '../../test/fakes/harness.ts';
import type { ReadyCheck } from './ready-check.ts';

/** A check that answers as told, remembering the clusters it was run on. */
function scriptedCheck(answers: (string | MpiboxError)[]): ReadyCheck & { seen: ClusterInfo[] } {
  const seen: ClusterInfo[] = [];
  return {
    seen,
    run(info) {
      seen.push(info);
      const answer = answers.shift() ?? 'MPI check passed.';
      return typeof answer === 'string' ? Promise.resolve(answer) : Promise.reject(answer);
    },
  };
}

const brokenNode2 = () =>
  new MpiboxError('provider', 'MPI check failed', {
    check: true,
    node: 'demo-2 (10.0.0.6)',
    reason: 'node 0 cannot reach it over SSH: Connection timed out',
  });

describe('ClusterService with the MPI check before ready', () => {
  it('calls a cluster ready only after the check, and shows what it measured on the card', async () => {
    const check = scriptedCheck(['MPI check passed: 4 ranks on 2 nodes; latency 3.0 µs.']);
    const h = makeHarness({ readyCheck: check });

    await h.run('UALICE', '/mpi up 2 demo');
    await h.settle();

    const cluster = h.store.findLiveClusterByName('demo');
    expect(cluster?.state).toBe('ready');
    expect(check.seen.map((info) => info.nodes.length)).toEqual([2]);
    const card = JSON.stringify(h.chat.latest.get(cluster?.cardMessageId ?? '')?.blocks);
    expect(card).toContain('MPI check passed: 4 ranks on 2 nodes; latency 3.0 µs.');
  });

  it('fails a create whose check fails, names the node and why, and leaves nothing running', async () => {
    const h = makeHarness({ readyCheck: scriptedCheck([brokenNode2()]) });

    await h.run('UALICE', '/mpi up 3 demo');
    await h.settle();

    const cluster = h.store.listLiveClusters().find((candidate) => candidate.name === 'demo');
    expect(cluster).toBeUndefined();
    const failed = h.chat.calls.at(-1);
    expect(JSON.stringify(failed)).toContain(
      'The MPI check across the nodes failed on node demo-2 (10.0.0.6): node 0 cannot reach it over SSH: Connection timed out.',
    );
    expect(JSON.stringify(failed)).not.toMatch(/is ready/);
    expect(h.provider.calls.at(-1)).toMatch(/^terminate/);
    const failedId = h.published.find(
      (event) => event.type === 'cluster-state-changed' && event.to === 'failed',
    )?.clusterId;
    expect(h.store.getCluster(failedId ?? '')?.state).toBe('failed');
    // The nodes billed while they were checked; their usage is closed with the rollback.
    const usage = h.store.listUsage(failedId ?? '');
    expect(usage).toHaveLength(3);
    expect(usage.every((interval) => interval.stoppedAtMs !== null)).toBe(true);
  });

  it('checks again after a resize; a failed check there keeps the cluster and says why', async () => {
    const check = scriptedCheck(['MPI check passed: 2 nodes.', brokenNode2()]);
    const h = makeHarness({ readyCheck: check });
    await h.run('UALICE', '/mpi up 2 demo');

    await h.run('UALICE', '/mpi resize demo 3');
    await h.settle();

    const cluster = h.store.findLiveClusterByName('demo');
    expect(check.seen.map((info) => info.nodes.length)).toEqual([2, 3]);
    expect(cluster?.state).toBe('ready');
    expect(cluster?.lastError).toBe(
      'resize failed: The MPI check across the nodes failed on node demo-2 (10.0.0.6): node 0 cannot reach it over SSH: Connection timed out.',
    );
    expect(cluster?.readyCheck).toBeNull();
  });
});
