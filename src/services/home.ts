import { formatDuration } from '../domain/policy.ts';
import type { Block, Message } from '../ports/chat.ts';
import type { Store } from '../ports/store.ts';
import type { IdlePolicy } from '../domain/idle.ts';
import { costLine, idleLine } from './cluster-cost.ts';
import { downButton } from './messages.ts';

/**
 * The App Home of one user: their live clusters and their queued and running jobs, with the
 * same buttons as in channels (and the same checks when clicked).
 */
export function homeMessage(
  store: Store,
  userId: string,
  nowInMs: number,
  notice: string | null = null,
  /** The reaper's rule (for each cluster's idle countdown); null when the reaper is off. */
  idlePolicy: IdlePolicy | null = null,
): Message {
  const clusters = store.listLiveClusters().filter((cluster) => cluster.ownerId === userId);
  const jobs = store.listJobsByState(['queued', 'running']).filter((job) => job.userId === userId);
  const blocks: Block[] = [];
  if (notice) blocks.push({ kind: 'context', text: notice });
  blocks.push({ kind: 'header', text: `Your clusters (${clusters.length})` });
  if (clusters.length === 0)
    blocks.push({ kind: 'text', text: 'None. Create one in a channel with `/mpi up <nodes> [name]`.' });
  for (const cluster of clusters.slice(0, 20)) {
    const cost = costLine(store, cluster, nowInMs);
    const idle = idleLine(store, cluster, idlePolicy, nowInMs);
    blocks.push({
      kind: 'text',
      text: `*${cluster.name}* in <#${cluster.channelId}>: ${cluster.state}, ${cluster.nodeCount} × ${cluster.size}, age ${formatDuration(nowInMs - cluster.createdAtMs)}${cost ? `; ${cost}` : ''}${idle ? `; ${idle}` : ''}`,
    });
    if (cluster.state === 'ready') blocks.push({ kind: 'actions', buttons: [downButton(cluster)] });
  }
  blocks.push({ kind: 'header', text: `Your jobs (${jobs.length})` });
  if (jobs.length === 0) blocks.push({ kind: 'text', text: 'No queued or running jobs.' });
  for (const job of jobs.slice(0, 20)) {
    const cluster = store.getCluster(job.clusterId);
    const elapsed = job.startedAtMs === null ? 'waiting' : formatDuration(nowInMs - job.startedAtMs);
    blocks.push({
      kind: 'text',
      text: `*#${job.id}* on ${cluster?.name ?? '?'}: ${job.state}, ${elapsed}, \`${job.command.slice(0, 80)}\``,
    });
    blocks.push({
      kind: 'actions',
      buttons: [{ action: 'job-cancel', label: 'Cancel job', value: String(job.id), style: 'danger' }],
    });
  }
  return { text: `mpibox: ${clusters.length} cluster(s), ${jobs.length} job(s)`, blocks };
}
