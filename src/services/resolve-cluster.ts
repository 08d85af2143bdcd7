import { MpiboxError } from '../domain/errors.ts';
import type { ClusterRow, Store } from '../ports/store.ts';
import type { Actor } from './actor.ts';
import type { TaskTracker } from './task-tracker.ts';

/**
 * Finds the cluster a command names in the caller's channel, or the channel's only cluster
 * when the name is omitted. A cluster still being created or resized is waited for.
 */
export async function resolveCluster(
  store: Store,
  tracker: TaskTracker,
  actor: Actor,
  name: string | null,
): Promise<ClusterRow> {
  let cluster: ClusterRow | null;
  if (name === null) {
    const clusters = store.listLiveClusters(actor.channelId);
    if (clusters.length !== 1) {
      throw new MpiboxError('ambiguous', 'name needed', {
        names: clusters.map((c) => c.name).join(', '),
        count: clusters.length,
      });
    }
    cluster = clusters[0] ?? null;
  } else {
    cluster = store.findLiveClusterByName(name);
  }
  if (!cluster || cluster.channelId !== actor.channelId) {
    throw new MpiboxError('not-found', 'no such cluster', { name: name ?? '' });
  }
  if (cluster.state !== 'creating' && cluster.state !== 'resizing') return cluster;
  await tracker.waitFor(cluster.id);
  const current = store.getCluster(cluster.id); // re-read: it changed while we waited
  if (!current) throw new MpiboxError('not-found', 'no such cluster', { name: cluster.name });
  return current;
}
