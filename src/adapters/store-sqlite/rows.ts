import type { ClusterState, NodeState, ProviderKind } from '../../domain/cluster.ts';
import type { JobState } from '../../domain/job.ts';
import type { ClusterRow, JobRow, NodeRow } from '../../ports/store.ts';

/** Column lists of each table, in the order the mappers below expect (snake_case → camelCase). */
export const CLUSTER_COLUMNS = `id, name, channel_id AS channelId, owner_id AS ownerId, provider, size, spot,
  node_count AS nodeCount, state, created_at_ms AS createdAtMs, updated_at_ms AS updatedAtMs,
  deleted_at_ms AS deletedAtMs, card_channel_id AS cardChannelId, card_message_id AS cardMessageId,
  last_error AS lastError, ready_check AS readyCheck`;
export const NODE_COLUMNS = `cluster_id AS clusterId, idx AS "index", name, host, port, slots, state`;
export const USAGE_COLUMNS = `cluster_id AS clusterId, node_name AS nodeName, size,
  started_at_ms AS startedAtMs, stopped_at_ms AS stoppedAtMs, region, spot, usd_per_hour AS usdPerHour`;
export const KEY_COLUMNS = `k.fingerprint, k.user_id AS userId, k.type, k.bits, k.public_key AS publicKey,
  k.comment, k.added_at_ms AS addedAtMs`;
export const AUDIT_COLUMNS = `id, at_ms AS atMs, user_id AS userId, channel_id AS channelId, text, result`;
export const JOB_COLUMNS = `id, cluster_id AS clusterId, channel_id AS channelId, user_id AS userId, command,
  ranks, ranks_per_node AS ranksPerNode, timeout_ms AS timeoutInMs, state,
  submitted_at_ms AS submittedAtMs, started_at_ms AS startedAtMs, ended_at_ms AS endedAtMs,
  exit_code AS exitCode, pid, remote_dir AS remoteDir, log_bytes AS logBytes, chat_bytes AS chatBytes,
  message_channel_id AS messageChannelId, message_id AS messageId, note`;

/** A cluster as SQLite returns it: aliased to camelCase, but `spot` is still 0/1. */
export interface ClusterRecord extends Omit<ClusterRow, 'spot' | 'provider' | 'state'> {
  spot: 0 | 1;
  provider: string;
  state: string;
}

export function toClusterRow(record: ClusterRecord): ClusterRow {
  return {
    ...record,
    // Only this adapter writes these columns, always from typed rows, so the casts hold.
    provider: record.provider as ProviderKind,
    state: record.state as ClusterState,
    spot: record.spot === 1,
  };
}

/** A node as SQLite returns it; usage, key and audit rows need nothing beyond column aliases. */
export type NodeRecord = Omit<NodeRow, 'state'> & { state: string };

export function toNodeRow(record: NodeRecord): NodeRow {
  return { ...record, state: record.state as NodeState };
}

/** A job as SQLite returns it. */
export type JobRecord = Omit<JobRow, 'state'> & { state: string };

export function toJobRow(record: JobRecord): JobRow {
  // The CHECK on jobs.state admits exactly the JobState values.
  return { ...record, state: record.state as JobState };
}

/** SQLite stores booleans as integers; better-sqlite3 refuses to bind `true`/`false`. */
export function toFlag(value: boolean): 0 | 1 {
  return value ? 1 : 0;
}
