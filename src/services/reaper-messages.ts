import { formatUsd, formatUsdPerHour } from '../domain/cost.ts';
import { formatShortDuration } from '../domain/duration.ts';
import type { Button, Message } from '../ports/chat.ts';
import type { ClusterRow } from '../ports/store.ts';
import { downButton } from './messages.ts';

/** What the reaper does to an idle cluster. */
export type ReapAction = 'stop' | 'delete';

/** The Keep buttons' values: `<cluster id> <how long>` (`1h`, or `tonight`). */
export function keepButtons(clusterId: string): Button[] {
  return [
    { action: 'cluster-keep', label: 'Keep 1 h', value: `${clusterId} 1h`, style: 'primary' },
    { action: 'cluster-keep', label: 'Keep until tonight', value: `${clusterId} tonight` },
  ];
}

/** The warning in the cluster's thread, mentioning the owner, with Keep and Down buttons. */
export function idleWarning(
  cluster: ClusterRow,
  facts: { idleForMs: number; graceInMs: number; action: ReapAction; usdPerHour: number },
): Message {
  const act = facts.action === 'stop' ? 'stop (deallocate) it, keeping its disks' : 'delete it';
  const text =
    `<@${cluster.ownerId}> \`${cluster.name}\` has been idle for ${formatShortDuration(facts.idleForMs)} ` +
    `(no job, no SSH session) and costs ${formatUsdPerHour(facts.usdPerHour)}. ` +
    `In ${formatShortDuration(facts.graceInMs)} I will ${act} unless it is used or kept.`;
  return {
    text,
    blocks: [
      { kind: 'text', text },
      {
        kind: 'actions',
        buttons: [...keepButtons(cluster.id), { ...downButton(cluster), label: 'Down now' }],
      },
      { kind: 'context', text: `Or type \`/mpi keep ${cluster.name} 2h\` (any duration).` },
    ],
  };
}

/** The warning, replaced once it no longer holds. */
export function warningWithdrawn(cluster: ClusterRow, why: string): Message {
  const text = `~Idle warning for \`${cluster.name}\`~ withdrawn: ${why}.`;
  return { text, blocks: [{ kind: 'context', text }] };
}

/** Posted when the reaper acted: what it did, what it stops costing, and how to get it back. */
export function reapedNotice(
  cluster: ClusterRow,
  facts: { action: ReapAction; idleForMs: number; usdPerHour: number; totalUsd: number },
): Message {
  const nodes = `${cluster.nodeCount} × ${cluster.size}${cluster.spot ? ' (spot)' : ''}`;
  const what =
    facts.action === 'stop'
      ? `Stopped (deallocated) \`${cluster.name}\` (${nodes}) after ${formatShortDuration(facts.idleForMs)} idle`
      : `Deleted \`${cluster.name}\` (${nodes}) after ${formatShortDuration(facts.idleForMs)} idle`;
  const back =
    facts.action === 'stop'
      ? `Disks are kept: \`/mpi up ${cluster.nodeCount} ${cluster.name} --size ${cluster.size}${cluster.spot ? ' --spot' : ''}\` starts it again.`
      : `Its nodes and disks are gone.`;
  const text = `${what}: that stops ${formatUsdPerHour(facts.usdPerHour)}. It cost ${formatUsd(facts.totalUsd)} in all. ${back}`;
  return { text, blocks: [{ kind: 'text', text }] };
}

/** Asked in a job's thread when it printed nothing and used no CPU for a long time. */
export function stuckQuestion(job: { id: number; userId: string }, quietForMs: number): Message {
  const text =
    `<@${job.userId}> job #${job.id} has printed nothing and used no CPU for ${formatShortDuration(quietForMs)}: is it stuck? ` +
    `\`/mpi cancel ${job.id}\` ends it. mpibox never reaps a cluster while a job runs on it.`;
  return { text, blocks: [{ kind: 'text', text }] };
}
