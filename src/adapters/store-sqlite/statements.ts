import type { Database, Statement } from 'better-sqlite3';

import type { AuditRow, JobPatch, KeyRow, NewAuditRow, NewJobRow, UsageRow } from '../../ports/store.ts';

/** A usage interval as SQLite returns it (`spot` still 0/1). */
export type UsageRecord = Omit<UsageRow, 'spot'> & { spot: 0 | 1 };
import {
  AUDIT_COLUMNS,
  CLUSTER_COLUMNS,
  JOB_COLUMNS,
  KEY_COLUMNS,
  NODE_COLUMNS,
  USAGE_COLUMNS,
  toFlag,
  type ClusterRecord,
  type JobRecord,
  type NodeRecord,
} from './rows.ts';

/** Parameters of `insertCluster`, with `spot` already a flag. */
export interface ClusterInsertParams {
  id: string;
  name: string;
  channelId: string;
  ownerId: string;
  provider: string;
  size: string;
  spot: 0 | 1;
  nodeCount: number;
  state: string;
  createdAtMs: number;
}

/** Parameters of `updateCluster`: each `set…` flag says whether its column is in the patch. */
export interface ClusterUpdateParams {
  id: string;
  updatedAtMs: number;
  setState: 0 | 1;
  state: string | null;
  setNodeCount: 0 | 1;
  nodeCount: number | null;
  setDeletedAtMs: 0 | 1;
  deletedAtMs: number | null;
  setCardChannelId: 0 | 1;
  cardChannelId: string | null;
  setCardMessageId: 0 | 1;
  cardMessageId: string | null;
  setLastError: 0 | 1;
  lastError: string | null;
  setReadyCheck: 0 | 1;
  readyCheck: string | null;
}

/** Parameters of `updateJob`: each `set…` flag says whether its column is in the patch. */
export interface JobUpdateParams {
  id: number;
  setState: 0 | 1;
  state: string | null;
  setStartedAtMs: 0 | 1;
  startedAtMs: number | null;
  setEndedAtMs: 0 | 1;
  endedAtMs: number | null;
  setExitCode: 0 | 1;
  exitCode: number | null;
  setPid: 0 | 1;
  pid: number | null;
  setRemoteDir: 0 | 1;
  remoteDir: string | null;
  setLogBytes: 0 | 1;
  logBytes: number | null;
  setChatBytes: 0 | 1;
  chatBytes: number | null;
  setMessageChannelId: 0 | 1;
  messageChannelId: string | null;
  setMessageId: 0 | 1;
  messageId: string | null;
  setNote: 0 | 1;
  note: string | null;
}

/** `patch` as `updateJob` binds it: undefined means "leave as is", null means "clear". */
export function toJobUpdateParams(id: number, patch: JobPatch): JobUpdateParams {
  return {
    id,
    setState: toFlag(patch.state !== undefined),
    state: patch.state ?? null,
    setStartedAtMs: toFlag(patch.startedAtMs !== undefined),
    startedAtMs: patch.startedAtMs ?? null,
    setEndedAtMs: toFlag(patch.endedAtMs !== undefined),
    endedAtMs: patch.endedAtMs ?? null,
    setExitCode: toFlag(patch.exitCode !== undefined),
    exitCode: patch.exitCode ?? null,
    setPid: toFlag(patch.pid !== undefined),
    pid: patch.pid ?? null,
    setRemoteDir: toFlag(patch.remoteDir !== undefined),
    remoteDir: patch.remoteDir ?? null,
    setLogBytes: toFlag(patch.logBytes !== undefined),
    logBytes: patch.logBytes ?? null,
    setChatBytes: toFlag(patch.chatBytes !== undefined),
    chatBytes: patch.chatBytes ?? null,
    setMessageChannelId: toFlag(patch.messageChannelId !== undefined),
    messageChannelId: patch.messageChannelId ?? null,
    setMessageId: toFlag(patch.messageId !== undefined),
    messageId: patch.messageId ?? null,
    setNote: toFlag(patch.note !== undefined),
    note: patch.note ?? null,
  };
}

/** Every statement the store runs, prepared once per connection. */
export interface Statements {
  insertCluster: Statement<[ClusterInsertParams], ClusterRecord>;
  getCluster: Statement<[string], ClusterRecord>;
  findLiveClusterByName: Statement<[string], ClusterRecord>;
  listLiveClusters: Statement<[], ClusterRecord>;
  listLiveClustersInChannel: Statement<[string], ClusterRecord>;
  updateCluster: Statement<[ClusterUpdateParams], ClusterRecord>;
  deleteNodes: Statement<[string]>;
  insertNode: Statement<[NodeRecord]>;
  listNodes: Statement<[string], NodeRecord>;
  openUsage: Statement<[Omit<UsageRow, 'stoppedAtMs' | 'spot'> & { spot: 0 | 1 }]>;
  closeUsage: Statement<[{ clusterId: string; nodeName: string; stoppedAtMs: number }]>;
  listUsage: Statement<[string], UsageRecord>;
  listUsageBetween: Statement<
    [{ fromMs: number; toMs: number }],
    UsageRecord & { clusterName: string; ownerId: string; channelId: string }
  >;
  upsertUser: Statement<[{ userId: string; displayName: string; atMs: number }]>;
  insertChannelMember: Statement<[{ channelId: string; userId: string; atMs: number }]>;
  listChannelMembers: Statement<[string], { userId: string }>;
  listUserChannels: Statement<[string], { channelId: string }>;
  insertKey: Statement<[KeyRow]>;
  listKeys: Statement<[string], KeyRow>;
  listChannelKeys: Statement<[string], KeyRow>;
  removeKey: Statement<[string, string]>;
  insertAudit: Statement<[NewAuditRow]>;
  listAudit: Statement<[number], AuditRow>;
  insertJob: Statement<[NewJobRow], JobRecord>;
  getJob: Statement<[number], JobRecord>;
  updateJob: Statement<[JobUpdateParams], JobRecord>;
  listJobs: Statement<[string, number], JobRecord>;
  /** `states` is a JSON array of state names. */
  listJobsByState: Statement<[{ states: string }], JobRecord>;
  listJobsByStateInCluster: Statement<[{ states: string; clusterId: string }], JobRecord>;
  listUnfinishedJobs: Statement<[], JobRecord>;
  listUnfinishedJobsInCluster: Statement<[string], JobRecord>;
}

/** Live means not deleted and not failed; must match the partial index `clusters_live_name`. */
const LIVE = `state NOT IN ('deleted', 'failed')`;

/** Sets `column` to `@param` only when `@flag` is 1, so one statement serves every partial patch. */
function patched(column: string, param: string): string {
  const flag = `set${param[0]?.toUpperCase()}${param.slice(1)}`;
  return `${column} = CASE WHEN @${flag} THEN @${param} ELSE ${column} END`;
}

export function prepareStatements(db: Database): Statements {
  return {
    insertCluster: db.prepare(`
      INSERT INTO clusters (id, name, channel_id, owner_id, provider, size, spot, node_count, state,
        created_at_ms, updated_at_ms)
      VALUES (@id, @name, @channelId, @ownerId, @provider, @size, @spot, @nodeCount, @state,
        @createdAtMs, @createdAtMs)
      RETURNING ${CLUSTER_COLUMNS}`),
    getCluster: db.prepare(`SELECT ${CLUSTER_COLUMNS} FROM clusters WHERE id = ?`),
    findLiveClusterByName: db.prepare(`SELECT ${CLUSTER_COLUMNS} FROM clusters WHERE name = ? AND ${LIVE}`),
    listLiveClusters: db.prepare(
      `SELECT ${CLUSTER_COLUMNS} FROM clusters WHERE ${LIVE} ORDER BY created_at_ms, rowid`,
    ),
    listLiveClustersInChannel: db.prepare(
      `SELECT ${CLUSTER_COLUMNS} FROM clusters WHERE channel_id = ? AND ${LIVE} ORDER BY created_at_ms, rowid`,
    ),
    updateCluster: db.prepare(`
      UPDATE clusters SET
        ${patched('state', 'state')},
        ${patched('node_count', 'nodeCount')},
        ${patched('deleted_at_ms', 'deletedAtMs')},
        ${patched('card_channel_id', 'cardChannelId')},
        ${patched('card_message_id', 'cardMessageId')},
        ${patched('last_error', 'lastError')},
        ${patched('ready_check', 'readyCheck')},
        updated_at_ms = @updatedAtMs
      WHERE id = @id
      RETURNING ${CLUSTER_COLUMNS}`),
    deleteNodes: db.prepare(`DELETE FROM nodes WHERE cluster_id = ?`),
    insertNode: db.prepare(`
      INSERT INTO nodes (cluster_id, idx, name, host, port, slots, state)
      VALUES (@clusterId, @index, @name, @host, @port, @slots, @state)`),
    listNodes: db.prepare(`SELECT ${NODE_COLUMNS} FROM nodes WHERE cluster_id = ? ORDER BY idx`),
    openUsage: db.prepare(`
      INSERT INTO usage_intervals (cluster_id, node_name, size, started_at_ms, region, spot, usd_per_hour)
      VALUES (@clusterId, @nodeName, @size, @startedAtMs, @region, @spot, @usdPerHour)
      ON CONFLICT (cluster_id, node_name) WHERE stopped_at_ms IS NULL DO NOTHING`),
    closeUsage: db.prepare(`
      UPDATE usage_intervals SET stopped_at_ms = @stoppedAtMs
      WHERE cluster_id = @clusterId AND node_name = @nodeName AND stopped_at_ms IS NULL`),
    listUsage: db.prepare(
      `SELECT ${USAGE_COLUMNS} FROM usage_intervals WHERE cluster_id = ? ORDER BY started_at_ms, id`,
    ),
    listUsageBetween: db.prepare(`
      SELECT u.cluster_id AS clusterId, u.node_name AS nodeName, u.size, u.started_at_ms AS startedAtMs,
        u.stopped_at_ms AS stoppedAtMs, u.region, u.spot, u.usd_per_hour AS usdPerHour,
        c.name AS clusterName, c.owner_id AS ownerId, c.channel_id AS channelId
      FROM usage_intervals u JOIN clusters c ON c.id = u.cluster_id
      WHERE u.started_at_ms < @toMs AND (u.stopped_at_ms IS NULL OR u.stopped_at_ms > @fromMs)
      ORDER BY u.started_at_ms, u.id`),
    upsertUser: db.prepare(`
      INSERT INTO users (id, display_name, first_seen_at_ms, last_seen_at_ms)
      VALUES (@userId, @displayName, @atMs, @atMs)
      ON CONFLICT (id) DO UPDATE SET
        display_name = excluded.display_name,
        first_seen_at_ms = min(first_seen_at_ms, excluded.first_seen_at_ms),
        last_seen_at_ms = max(last_seen_at_ms, excluded.last_seen_at_ms)`),
    insertChannelMember: db.prepare(`
      INSERT INTO channel_members (channel_id, user_id, first_seen_at_ms) VALUES (@channelId, @userId, @atMs)
      ON CONFLICT (channel_id, user_id) DO NOTHING`),
    listUserChannels: db.prepare(`
      SELECT channel_id AS channelId FROM channel_members WHERE user_id = ? ORDER BY first_seen_at_ms, channel_id`),
    listChannelMembers: db.prepare(`
      SELECT user_id AS userId FROM channel_members WHERE channel_id = ? ORDER BY first_seen_at_ms, user_id`),
    insertKey: db.prepare(`
      INSERT INTO ssh_keys (fingerprint, user_id, type, bits, public_key, comment, added_at_ms)
      VALUES (@fingerprint, @userId, @type, @bits, @publicKey, @comment, @addedAtMs)`),
    listKeys: db.prepare(
      `SELECT ${KEY_COLUMNS} FROM ssh_keys AS k WHERE k.user_id = ? ORDER BY k.added_at_ms, k.rowid`,
    ),
    listChannelKeys: db.prepare(`
      SELECT ${KEY_COLUMNS} FROM ssh_keys AS k
      JOIN channel_members AS m ON m.user_id = k.user_id
      WHERE m.channel_id = ? ORDER BY k.added_at_ms, k.rowid`),
    removeKey: db.prepare(`DELETE FROM ssh_keys WHERE user_id = ? AND fingerprint = ?`),
    insertAudit: db.prepare(`
      INSERT INTO audit_log (at_ms, user_id, channel_id, text, result)
      VALUES (@atMs, @userId, @channelId, @text, @result)`),
    listAudit: db.prepare(`SELECT ${AUDIT_COLUMNS} FROM audit_log ORDER BY id DESC LIMIT ?`),
    insertJob: db.prepare(`
      INSERT INTO jobs (cluster_id, channel_id, user_id, command, ranks, ranks_per_node, timeout_ms, state,
        submitted_at_ms)
      VALUES (@clusterId, @channelId, @userId, @command, @ranks, @ranksPerNode, @timeoutInMs, 'queued',
        @submittedAtMs)
      RETURNING ${JOB_COLUMNS}`),
    getJob: db.prepare(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = ?`),
    updateJob: db.prepare(`
      UPDATE jobs SET
        ${patched('state', 'state')},
        ${patched('started_at_ms', 'startedAtMs')},
        ${patched('ended_at_ms', 'endedAtMs')},
        ${patched('exit_code', 'exitCode')},
        ${patched('pid', 'pid')},
        ${patched('remote_dir', 'remoteDir')},
        ${patched('log_bytes', 'logBytes')},
        ${patched('chat_bytes', 'chatBytes')},
        ${patched('message_channel_id', 'messageChannelId')},
        ${patched('message_id', 'messageId')},
        ${patched('note', 'note')}
      WHERE id = @id
      RETURNING ${JOB_COLUMNS}`),
    listJobs: db.prepare(`SELECT ${JOB_COLUMNS} FROM jobs WHERE cluster_id = ? ORDER BY id DESC LIMIT ?`),
    // better-sqlite3 cannot bind an array, so the state list arrives as one JSON text and
    // json_each unpacks it: one prepared statement serves any number of states.
    listJobsByState: db.prepare(`
      SELECT ${JOB_COLUMNS} FROM jobs
      WHERE state IN (SELECT value FROM json_each(@states)) ORDER BY id`),
    listJobsByStateInCluster: db.prepare(`
      SELECT ${JOB_COLUMNS} FROM jobs
      WHERE cluster_id = @clusterId AND state IN (SELECT value FROM json_each(@states)) ORDER BY id`),
    listUnfinishedJobs: db.prepare(`SELECT ${JOB_COLUMNS} FROM jobs WHERE ended_at_ms IS NULL ORDER BY id`),
    listUnfinishedJobsInCluster: db.prepare(
      `SELECT ${JOB_COLUMNS} FROM jobs WHERE cluster_id = ? AND ended_at_ms IS NULL ORDER BY id`,
    ),
  };
}
