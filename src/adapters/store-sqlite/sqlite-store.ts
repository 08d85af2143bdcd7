import Sqlite, { type Database } from 'better-sqlite3';

import { MpiboxError } from '../../domain/errors.ts';
import type { JobState } from '../../domain/job.ts';
import type {
  AuditRow,
  ClusterPatch,
  ClusterRow,
  JobPatch,
  JobRow,
  KeyRow,
  NewAuditRow,
  NewClusterRow,
  NewJobRow,
  NewNodeRow,
  NodeRow,
  NewUsageRow,
  Store,
  UsageCostRow,
  UsageRow,
} from '../../ports/store.ts';
import type { IdleStore, IdleWatchRow, JobWatchRow, ReapRow } from '../../ports/idle-store.ts';
import { sqliteIdleStore } from './idle-watch.ts';
import { MIGRATIONS, migrate, type Migration } from './migrations.ts';
import { toClusterRow, toFlag, toJobRow, toNodeRow } from './rows.ts';
import { prepareStatements, toJobUpdateParams, type Statements } from './statements.ts';

/**
 * Opens (creating if needed) the SQLite database at `path` — `':memory:'` for a throwaway one —
 * applies any pending `migrations`, and returns a store owning the connection.
 */
export function openSqliteStore(path: string, migrations: readonly Migration[] = MIGRATIONS): SqliteStore {
  const db = new Sqlite(path);
  try {
    if (!db.memory) {
      // WAL lets readers (e.g. the sqlite3 CLI during an incident) work while the bot writes.
      db.pragma('journal_mode = WAL');
    }
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // Safe with WAL: a power cut may lose the last commits but never corrupts the file.
    db.pragma('synchronous = NORMAL');
    migrate(db, migrations);
    return new SqliteStore(db);
  } catch (error) {
    db.close();
    throw error;
  }
}

/** The Store port on one better-sqlite3 connection. Build it with `openSqliteStore`. */
export class SqliteStore implements Store {
  /** Audit lines waiting for the end of the current event-loop turn. */
  #auditBuffer: NewAuditRow[] = [];
  readonly #db: Database;
  readonly #sql: Statements;
  readonly #idle: ReturnType<typeof sqliteIdleStore>;
  /**
   * Live clusters (all, and per channel) as last read outside a transaction. `/mpi status`
   * asks for them on every command; they only change through insertCluster/updateCluster,
   * which drop the cache (this connection is the only writer: one bot per data folder).
   * Rows are frozen so a caller cannot change the cached copy.
   */
  readonly #liveClusters = new Map<string | null, readonly ClusterRow[]>();

  /** Takes ownership of an open, migrated connection. */
  constructor(db: Database) {
    this.#db = db;
    this.#sql = prepareStatements(db);
    this.#idle = sqliteIdleStore(db);
  }

  getIdleWatch(clusterId: string): IdleWatchRow | null {
    return this.#idle.getIdleWatch(clusterId);
  }
  touchActivity(clusterId: string, atMs: number): void {
    this.#idle.touchActivity(clusterId, atMs);
  }
  setKeep(clusterId: string, untilMs: number, byUserId: string): void {
    this.#idle.setKeep(clusterId, untilMs, byUserId);
  }
  claimWarning(clusterId: string, warnedAtMs: number): boolean {
    return this.#idle.claimWarning(clusterId, warnedAtMs);
  }
  setWarningMessage(clusterId: string, ref: { channelId: string; messageId: string }): void {
    this.#idle.setWarningMessage(clusterId, ref);
  }
  clearWarning(clusterId: string, warnedAtMs: number): boolean {
    return this.#idle.clearWarning(clusterId, warnedAtMs);
  }
  claimReap(clusterId: string, warnedAtMs: number, toState: 'stopping' | 'deleting', atMs: number): boolean {
    // The live-cluster cache must not keep the row from before the claim.
    this.#liveClusters.clear();
    return this.#idle.claimReap(clusterId, warnedAtMs, toState, atMs);
  }
  displayName(userId: string): string | null {
    return this.#idle.displayName(userId);
  }
  recordReap(row: ReapRow): void {
    this.#idle.recordReap(row);
  }
  listReapsBetween(fromMs: number, toMs: number): ReapRow[] {
    return this.#idle.listReapsBetween(fromMs, toMs);
  }
  getJobWatch(jobId: number): JobWatchRow | null {
    return this.#idle.getJobWatch(jobId);
  }
  putJobWatch(row: JobWatchRow): void {
    this.#idle.putJobWatch(row);
  }
  addBudgetEvent(row: Parameters<IdleStore['addBudgetEvent']>[0]): boolean {
    return this.#idle.addBudgetEvent(row);
  }
  listBudgetEvents(channelId: string, month: string): ReturnType<IdleStore['listBudgetEvents']> {
    return this.#idle.listBudgetEvents(channelId, month);
  }

  transaction<T>(work: () => T): T {
    // better-sqlite3 turns a transaction inside another into a SAVEPOINT, so this nests.
    return this.#db.transaction(work)();
  }

  insertCluster(row: NewClusterRow): ClusterRow {
    const params = { ...row, spot: toFlag(row.spot), state: 'creating' };
    this.#liveClusters.clear();
    try {
      return toClusterRow(this.transaction(() => this.#sql.insertCluster.get(params))!);
    } catch (error) {
      if (isConstraint(error, 'UNIQUE', 'clusters.name')) {
        throw new MpiboxError(
          'conflict',
          'a live cluster already has this name',
          { name: row.name },
          { cause: error },
        );
      }
      if (isConstraint(error, 'PRIMARYKEY', 'clusters.id')) {
        throw new MpiboxError('conflict', 'a cluster already has this id', { id: row.id }, { cause: error });
      }
      throw error;
    }
  }

  getCluster(id: string): ClusterRow | null {
    const record = this.#sql.getCluster.get(id);
    return record ? toClusterRow(record) : null;
  }

  findLiveClusterByName(name: string): ClusterRow | null {
    const record = this.#sql.findLiveClusterByName.get(name);
    return record ? toClusterRow(record) : null;
  }

  listLiveClusters(channelId?: string): ClusterRow[] {
    const key = channelId ?? null;
    const cached = this.#liveClusters.get(key);
    if (cached) return [...cached];
    const records =
      key === null ? this.#sql.listLiveClusters.all() : this.#sql.listLiveClustersInChannel.all(key);
    const rows = records.map((record) => Object.freeze(toClusterRow(record)));
    // Inside a transaction the rows may not be committed yet: a rollback would leave them cached.
    if (!this.#db.inTransaction) {
      if (this.#liveClusters.size >= 1000) this.#liveClusters.clear();
      this.#liveClusters.set(key, rows);
    }
    return [...rows];
  }

  updateCluster(id: string, patch: ClusterPatch): ClusterRow {
    const params = {
      id,
      updatedAtMs: patch.updatedAtMs,
      setState: toFlag(patch.state !== undefined),
      state: patch.state ?? null,
      setNodeCount: toFlag(patch.nodeCount !== undefined),
      nodeCount: patch.nodeCount ?? null,
      setDeletedAtMs: toFlag(patch.deletedAtMs !== undefined),
      deletedAtMs: patch.deletedAtMs ?? null,
      setCardChannelId: toFlag(patch.cardChannelId !== undefined),
      cardChannelId: patch.cardChannelId ?? null,
      setCardMessageId: toFlag(patch.cardMessageId !== undefined),
      cardMessageId: patch.cardMessageId ?? null,
      setLastError: toFlag(patch.lastError !== undefined),
      lastError: patch.lastError ?? null,
      setReadyCheck: toFlag(patch.readyCheck !== undefined),
      readyCheck: patch.readyCheck ?? null,
    };
    let record;
    this.#liveClusters.clear();
    try {
      record = this.transaction(() => this.#sql.updateCluster.get(params));
    } catch (error) {
      // Reviving a deleted/failed cluster whose name a live one has since taken.
      if (isConstraint(error, 'UNIQUE', 'clusters.name')) {
        throw new MpiboxError('conflict', 'a live cluster already has this name', { id }, { cause: error });
      }
      throw error;
    }
    if (!record) {
      throw new MpiboxError('not-found', 'no cluster with this id', { id });
    }
    return toClusterRow(record);
  }

  setNodes(clusterId: string, nodes: NewNodeRow[]): void {
    try {
      this.transaction(() => {
        this.#sql.deleteNodes.run(clusterId);
        for (const node of nodes) {
          this.#sql.insertNode.run({ ...node, clusterId });
        }
      });
    } catch (error) {
      throw clusterMissing(error, clusterId);
    }
  }

  listNodes(clusterId: string): NodeRow[] {
    return this.#sql.listNodes.all(clusterId).map(toNodeRow);
  }

  openUsage(row: NewUsageRow): void {
    const params = {
      clusterId: row.clusterId,
      nodeName: row.nodeName,
      size: row.size,
      startedAtMs: row.startedAtMs,
      region: row.region ?? null,
      spot: toFlag(row.spot === true),
      usdPerHour: row.usdPerHour ?? null,
    };
    try {
      this.transaction(() => this.#sql.openUsage.run(params));
    } catch (error) {
      throw clusterMissing(error, row.clusterId);
    }
  }

  closeUsage(clusterId: string, nodeName: string, stoppedAtMs: number): void {
    this.transaction(() => this.#sql.closeUsage.run({ clusterId, nodeName, stoppedAtMs }));
  }

  listUsage(clusterId: string): UsageRow[] {
    return this.#sql.listUsage.all(clusterId).map((record) => ({ ...record, spot: record.spot === 1 }));
  }

  listUsageBetween(fromMs: number, toMs: number): UsageCostRow[] {
    return this.#sql.listUsageBetween
      .all({ fromMs, toMs })
      .map((record) => ({ ...record, spot: record.spot === 1 }));
  }

  touchUser(userId: string, displayName: string, channelId: string, atMs: number): boolean {
    return this.transaction(() => {
      this.#sql.upsertUser.run({ userId, displayName, atMs });
      return this.#sql.insertChannelMember.run({ channelId, userId, atMs }).changes > 0;
    });
  }

  listUserChannels(userId: string): string[] {
    return this.#sql.listUserChannels.all(userId).map((row) => row.channelId);
  }

  listChannelMembers(channelId: string): string[] {
    return this.#sql.listChannelMembers.all(channelId).map((member) => member.userId);
  }

  addKey(row: KeyRow): void {
    try {
      this.transaction(() => this.#sql.insertKey.run(row));
    } catch (error) {
      if (isConstraint(error, 'PRIMARYKEY', 'ssh_keys.fingerprint')) {
        throw new MpiboxError(
          'conflict',
          'this key is already registered',
          { fingerprint: row.fingerprint },
          { cause: error },
        );
      }
      throw error;
    }
  }

  listKeys(userId: string): KeyRow[] {
    return this.#sql.listKeys.all(userId);
  }

  listChannelKeys(channelId: string): KeyRow[] {
    return this.#sql.listChannelKeys.all(channelId);
  }

  removeKey(userId: string, fingerprint: string): boolean {
    return this.transaction(() => this.#sql.removeKey.run(userId, fingerprint)).changes > 0;
  }

  insertJob(row: NewJobRow): JobRow {
    try {
      return toJobRow(this.transaction(() => this.#sql.insertJob.get(row))!);
    } catch (error) {
      throw clusterMissing(error, row.clusterId);
    }
  }

  getJob(id: number): JobRow | null {
    const record = this.#sql.getJob.get(id);
    return record ? toJobRow(record) : null;
  }

  updateJob(id: number, patch: JobPatch): JobRow {
    const record = this.transaction(() => this.#sql.updateJob.get(toJobUpdateParams(id, patch)));
    if (!record) {
      throw new MpiboxError('not-found', 'no job with this id', { id });
    }
    return toJobRow(record);
  }

  listJobs(clusterId: string, limit: number): JobRow[] {
    return this.#sql.listJobs.all(clusterId, limit).map(toJobRow);
  }

  listJobsByState(states: readonly JobState[], clusterId?: string): JobRow[] {
    const params = { states: JSON.stringify(states) };
    const records =
      clusterId === undefined
        ? this.#sql.listJobsByState.all(params)
        : this.#sql.listJobsByStateInCluster.all({ ...params, clusterId });
    return records.map(toJobRow);
  }

  listUnfinishedJobs(clusterId?: string): JobRow[] {
    const records =
      clusterId === undefined
        ? this.#sql.listUnfinishedJobs.all()
        : this.#sql.listUnfinishedJobsInCluster.all(clusterId);
    return records.map(toJobRow);
  }

  audit(row: NewAuditRow): void {
    if (this.#db.inTransaction) {
      this.#sql.insertAudit.run(row); // part of the caller's all-or-nothing change
      return;
    }
    // Otherwise the lines of one event-loop turn are committed together right after it: a
    // burst of commands costs one WAL append instead of one each (`npm run bench`, ack latency).
    this.#auditBuffer.push(row);
    if (this.#auditBuffer.length === 1) setImmediate(() => this.#flushAudit());
  }

  listAudit(limit: number): AuditRow[] {
    this.#flushAudit();
    return this.#sql.listAudit.all(limit);
  }

  close(): void {
    if (this.#db.open) {
      this.#flushAudit();
      this.#db.close();
    }
  }

  #flushAudit(): void {
    if (this.#auditBuffer.length === 0 || !this.#db.open) return;
    const rows = this.#auditBuffer;
    this.#auditBuffer = [];
    try {
      this.transaction(() => {
        for (const row of rows) this.#sql.insertAudit.run(row);
      });
    } catch (error) {
      // Runs from setImmediate: a throw here would end the process. Keep the lines for the
      // next flush (disk full, busy) and say so on stderr; the bot keeps serving.
      this.#auditBuffer = [...rows, ...this.#auditBuffer].slice(-10_000);
      process.stderr.write(
        `${JSON.stringify({ level: 'error', message: 'audit write failed', error: String(error) })}\n`,
      );
    }
  }
}

/** True when `error` is SQLite's `SQLITE_CONSTRAINT_<kind>` failure on `column` (`table.column`). */
function isConstraint(error: unknown, kind: 'UNIQUE' | 'PRIMARYKEY', column: string): boolean {
  return (
    error instanceof Sqlite.SqliteError &&
    error.code === `SQLITE_CONSTRAINT_${kind}` &&
    error.message.includes(column)
  );
}

/** A foreign-key failure on a cluster's child row means the cluster does not exist. */
function clusterMissing(error: unknown, clusterId: string): unknown {
  if (error instanceof Sqlite.SqliteError && error.code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return new MpiboxError('not-found', 'no cluster with this id', { id: clusterId }, { cause: error });
  }
  return error;
}
