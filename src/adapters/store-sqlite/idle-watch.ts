import type { Database } from 'better-sqlite3';
import type { IdleStore, IdleWatchRow, JobWatchRow, ReapRow } from '../../ports/idle-store.ts';

const WATCH_COLUMNS = `cluster_id AS clusterId, last_active_at_ms AS lastActiveAtMs, keep_until_ms AS keepUntilMs,
  kept_by AS keptBy, warned_at_ms AS warnedAtMs, warning_channel_id AS warningChannelId,
  warning_message_id AS warningMessageId`;
const JOB_WATCH_COLUMNS = `job_id AS jobId, log_bytes AS logBytes, last_output_at_ms AS lastOutputAtMs,
  cpu_ticks AS cpuTicks, last_cpu_at_ms AS lastCpuAtMs, stuck_asked_at_ms AS stuckAskedAtMs`;

/** The IdleStore part of the SQLite store: each method one statement, so each is atomic. */
export function sqliteIdleStore(db: Database): IdleStore & { displayName(userId: string): string | null } {
  const sql = {
    get: db.prepare<[string], IdleWatchRow>(`SELECT ${WATCH_COLUMNS} FROM idle_watch WHERE cluster_id = ?`),
    touch: db.prepare<[{ clusterId: string; atMs: number }]>(`
      INSERT INTO idle_watch (cluster_id, last_active_at_ms) VALUES (@clusterId, @atMs)
      ON CONFLICT (cluster_id) DO UPDATE SET last_active_at_ms = MAX(last_active_at_ms, @atMs)`),
    keep: db.prepare<[{ clusterId: string; untilMs: number; by: string }]>(`
      INSERT INTO idle_watch (cluster_id, last_active_at_ms, keep_until_ms, kept_by)
      VALUES (@clusterId, 0, @untilMs, @by)
      ON CONFLICT (cluster_id) DO UPDATE SET keep_until_ms = @untilMs, kept_by = @by`),
    claimWarning: db.prepare<[{ clusterId: string; atMs: number }]>(`
      UPDATE idle_watch SET warned_at_ms = @atMs, warning_channel_id = NULL, warning_message_id = NULL
      WHERE cluster_id = @clusterId AND warned_at_ms IS NULL`),
    setWarningMessage: db.prepare<[{ clusterId: string; channelId: string; messageId: string }]>(`
      UPDATE idle_watch SET warning_channel_id = @channelId, warning_message_id = @messageId
      WHERE cluster_id = @clusterId`),
    clearWarning: db.prepare<[{ clusterId: string; atMs: number }]>(`
      UPDATE idle_watch SET warned_at_ms = NULL WHERE cluster_id = @clusterId AND warned_at_ms = @atMs`),
    claimReap: db.prepare<[{ clusterId: string; atMs: number; warnedAtMs: number; toState: string }]>(`
      UPDATE clusters SET state = @toState, updated_at_ms = @atMs
      WHERE id = @clusterId AND state = 'ready'
        AND EXISTS (SELECT 1 FROM idle_watch w WHERE w.cluster_id = @clusterId AND w.warned_at_ms = @warnedAtMs)
        AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.cluster_id = @clusterId AND j.ended_at_ms IS NULL)`),
    displayName: db.prepare<[string], { name: string }>(
      `SELECT display_name AS name FROM users WHERE id = ?`,
    ),
    recordReap: db.prepare<[ReapRow]>(`
      INSERT INTO reaps (cluster_id, at_ms, action, node_count, usd_per_hour)
      VALUES (@clusterId, @atMs, @action, @nodeCount, @usdPerHour)`),
    listReaps: db.prepare<[number, number], ReapRow>(`
      SELECT cluster_id AS clusterId, at_ms AS atMs, action, node_count AS nodeCount, usd_per_hour AS usdPerHour
      FROM reaps WHERE at_ms >= ? AND at_ms < ? ORDER BY at_ms, id`),
    getJob: db.prepare<[number], JobWatchRow>(`SELECT ${JOB_WATCH_COLUMNS} FROM job_watch WHERE job_id = ?`),
    putJob: db.prepare<[JobWatchRow]>(`
      INSERT INTO job_watch (job_id, log_bytes, last_output_at_ms, cpu_ticks, last_cpu_at_ms, stuck_asked_at_ms)
      VALUES (@jobId, @logBytes, @lastOutputAtMs, @cpuTicks, @lastCpuAtMs, @stuckAskedAtMs)
      ON CONFLICT (job_id) DO UPDATE SET log_bytes = @logBytes, last_output_at_ms = @lastOutputAtMs,
        cpu_ticks = @cpuTicks, last_cpu_at_ms = @lastCpuAtMs, stuck_asked_at_ms = @stuckAskedAtMs`),
    addBudgetEvent: db.prepare<
      [{ channelId: string; month: string; kind: string; atMs: number; userId: string | null }]
    >(`
      INSERT INTO budget_events (channel_id, month, kind, at_ms, user_id)
      VALUES (@channelId, @month, @kind, @atMs, @userId) ON CONFLICT DO NOTHING`),
    listBudgetEvents: db.prepare<[string, string], { kind: string; atMs: number; userId: string | null }>(`
      SELECT kind, at_ms AS atMs, user_id AS userId FROM budget_events
      WHERE channel_id = ? AND month = ? ORDER BY at_ms`),
  };
  return {
    getIdleWatch: (clusterId) => sql.get.get(clusterId) ?? null,
    touchActivity: (clusterId, atMs) => void sql.touch.run({ clusterId, atMs }),
    setKeep: (clusterId, untilMs, by) => void sql.keep.run({ clusterId, untilMs, by }),
    claimWarning: (clusterId, atMs) => sql.claimWarning.run({ clusterId, atMs }).changes === 1,
    setWarningMessage: (clusterId, ref) => void sql.setWarningMessage.run({ clusterId, ...ref }),
    clearWarning: (clusterId, atMs) => sql.clearWarning.run({ clusterId, atMs }).changes === 1,
    // The claim and the end of the warning commit together: a warning acted on is never withdrawn later.
    claimReap: (clusterId, warnedAtMs, toState, atMs) =>
      db
        .transaction(() => {
          if (sql.claimReap.run({ clusterId, warnedAtMs, toState, atMs }).changes !== 1) return false;
          sql.clearWarning.run({ clusterId, atMs: warnedAtMs });
          return true;
        })
        .immediate(),
    displayName: (userId) => sql.displayName.get(userId)?.name ?? null,
    recordReap: (row) => void sql.recordReap.run(row),
    listReapsBetween: (fromMs, toMs) => sql.listReaps.all(fromMs, toMs),
    getJobWatch: (jobId) => sql.getJob.get(jobId) ?? null,
    putJobWatch: (row) => void sql.putJob.run(row),
    addBudgetEvent: (row) => sql.addBudgetEvent.run(row).changes === 1,
    listBudgetEvents: (channelId, month) => sql.listBudgetEvents.all(channelId, month),
  };
}
