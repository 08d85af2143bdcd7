import type { JobState } from '../domain/job.ts';
import { formatDuration } from '../domain/policy.ts';
import type { Block, Message } from '../ports/chat.ts';
import type { JobRow } from '../ports/store.ts';
import { message } from './messages.ts';

/**
 * The job's parent message: state, elapsed time and exit code, updated in place. A cancelled
 * job shows "cancelling…" until its processes are confirmed gone (its end time is set then).
 */
export function jobCard(
  job: JobRow,
  clusterName: string,
  nowInMs: number,
  /** For a queued job: how many jobs must end before it starts (0: it starts now); null unknown. */
  queuedAhead: number | null = null,
): Message {
  const cancelling = isCancelling(job);
  const state = cancelling ? 'cancelling…' : stateText(job, queuedAhead);
  const headline = `job #${job.id} on ${clusterName}: ${state}`;
  const fields: [string, string][] = [
    ['State', cancelling ? 'cancelling' : job.state],
    ['Ranks', String(job.ranks) + (job.ranksPerNode ? ` (${job.ranksPerNode} per node)` : '')],
    ['By', `<@${job.userId}>`],
  ];
  if (job.startedAtMs !== null)
    fields.push(['Elapsed', formatDuration((job.endedAtMs ?? nowInMs) - job.startedAtMs)]);
  if (job.exitCode !== null) fields.push(['Exit code', String(job.exitCode)]);
  const blocks: Block[] = [
    { kind: 'header', text: headline },
    { kind: 'code', text: job.command },
    { kind: 'fields', fields },
  ];
  if (job.note) blocks.push({ kind: 'context', text: job.note });
  if (job.state === 'queued' || job.state === 'running') {
    blocks.push({
      kind: 'context',
      text: `The log streams into this thread. \`/mpi cancel ${job.id}\` stops it.`,
    });
    blocks.push({
      kind: 'actions',
      buttons: [{ action: 'job-cancel', label: 'Cancel job', value: String(job.id), style: 'danger' }],
    });
  }
  return { text: headline, blocks };
}

/** Cancelled, but its processes are not yet confirmed gone. */
function isCancelling(job: JobRow): boolean {
  return job.state === 'cancelled' && job.endedAtMs === null;
}

function stateText(job: JobRow, queuedAhead: number | null): string {
  const labels: Record<JobState, string> = {
    queued: queuedAhead === null ? 'queued' : queuedAhead > 0 ? `queued (${queuedAhead} ahead)` : 'starting…',
    running: 'running',
    succeeded: 'succeeded',
    failed: `failed (exit code ${job.exitCode ?? '?'})`,
    cancelled: 'cancelled',
    lost: 'lost',
  };
  return labels[job.state];
}

/** `/mpi jobs`: the most recent jobs of a cluster, one line each. */
export function jobListMessage(clusterName: string, jobs: JobRow[], nowInMs: number): Message {
  if (jobs.length === 0)
    return message(
      `No jobs on \`${clusterName}\` yet. Start one with \`/mpi run ${clusterName} -- ./program\`.`,
    );
  const lines = jobs.map((job) => {
    const elapsed =
      job.startedAtMs === null ? '-' : formatDuration((job.endedAtMs ?? nowInMs) - job.startedAtMs);
    const exit = job.exitCode === null ? '' : ` exit ${job.exitCode}`;
    const command = job.command.length > 60 ? `${job.command.slice(0, 57)}…` : job.command;
    return `#${job.id}  ${isCancelling(job) ? 'cancelling' : job.state}${exit}  ${job.ranks} ranks  ${elapsed}  @${job.userId}  ${command}`;
  });
  return message(`Jobs on ${clusterName}:\n${lines.join('\n')}`, [
    { kind: 'text', text: `Jobs on \`${clusterName}\` (newest first):` },
    { kind: 'code', text: lines.join('\n') },
  ]);
}
