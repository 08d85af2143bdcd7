import type { Database } from 'better-sqlite3';

import { MpiboxError } from '../../domain/errors.ts';

/** One schema step. Append-only: never edit or reorder a shipped migration, add a new one. */
export interface Migration {
  /** 1-based and consecutive; stored in `PRAGMA user_version` once applied. */
  version: number;
  /** Statements to run, in one transaction together with the version bump. */
  sql: string;
}

/** The schema of mpibox, oldest first. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE clusters (
        id              TEXT PRIMARY KEY,
        name            TEXT NOT NULL,
        channel_id      TEXT NOT NULL,
        owner_id        TEXT NOT NULL,
        provider        TEXT NOT NULL,
        size            TEXT NOT NULL,
        spot            INTEGER NOT NULL CHECK (spot IN (0, 1)),
        node_count      INTEGER NOT NULL,
        state           TEXT NOT NULL,
        created_at_ms   INTEGER NOT NULL,
        updated_at_ms   INTEGER NOT NULL,
        deleted_at_ms   INTEGER,
        card_channel_id TEXT,
        card_message_id TEXT,
        last_error      TEXT
      );
      -- Two live clusters cannot share a name; deleted and failed ones free it for reuse.
      CREATE UNIQUE INDEX clusters_live_name ON clusters (name) WHERE state NOT IN ('deleted', 'failed');
      CREATE INDEX clusters_channel ON clusters (channel_id, created_at_ms);

      CREATE TABLE nodes (
        cluster_id TEXT NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
        idx        INTEGER NOT NULL,
        name       TEXT NOT NULL,
        host       TEXT NOT NULL,
        port       INTEGER NOT NULL,
        slots      INTEGER NOT NULL,
        state      TEXT NOT NULL,
        PRIMARY KEY (cluster_id, idx)
      );

      CREATE TABLE usage_intervals (
        id            INTEGER PRIMARY KEY,
        cluster_id    TEXT NOT NULL REFERENCES clusters (id),
        node_name     TEXT NOT NULL,
        size          TEXT NOT NULL,
        started_at_ms INTEGER NOT NULL,
        stopped_at_ms INTEGER
      );
      -- At most one open (still billing) interval per node.
      CREATE UNIQUE INDEX usage_intervals_open ON usage_intervals (cluster_id, node_name)
        WHERE stopped_at_ms IS NULL;
      CREATE INDEX usage_intervals_cluster ON usage_intervals (cluster_id, started_at_ms);

      CREATE TABLE users (
        id               TEXT PRIMARY KEY,
        display_name     TEXT NOT NULL,
        first_seen_at_ms INTEGER NOT NULL,
        last_seen_at_ms  INTEGER NOT NULL
      );

      CREATE TABLE channel_members (
        channel_id       TEXT NOT NULL,
        user_id          TEXT NOT NULL REFERENCES users (id),
        first_seen_at_ms INTEGER NOT NULL,
        PRIMARY KEY (channel_id, user_id)
      );

      -- No foreign key to users: a key may be registered before its owner is seen in a channel.
      CREATE TABLE ssh_keys (
        fingerprint TEXT PRIMARY KEY,
        user_id     TEXT NOT NULL,
        type        TEXT NOT NULL,
        bits        INTEGER NOT NULL,
        public_key  TEXT NOT NULL,
        comment     TEXT NOT NULL,
        added_at_ms INTEGER NOT NULL
      );
      CREATE INDEX ssh_keys_user ON ssh_keys (user_id, added_at_ms);

      CREATE TABLE audit_log (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ms      INTEGER NOT NULL,
        user_id    TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        text       TEXT NOT NULL,
        result     TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    sql: `
      -- AUTOINCREMENT (not plain rowid) so the #N users saw in chat is never handed out again,
      -- even after the newest job row is deleted. No cascade: clusters are only ever marked
      -- deleted, and a job's history outlives its cluster.
      CREATE TABLE jobs (
        id                 INTEGER PRIMARY KEY AUTOINCREMENT,
        cluster_id         TEXT NOT NULL REFERENCES clusters (id),
        channel_id         TEXT NOT NULL,
        user_id            TEXT NOT NULL,
        command            TEXT NOT NULL,
        ranks              INTEGER NOT NULL,
        ranks_per_node     INTEGER,
        timeout_ms         INTEGER,
        state              TEXT NOT NULL
          CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'lost')),
        submitted_at_ms    INTEGER NOT NULL,
        started_at_ms      INTEGER,
        ended_at_ms        INTEGER,
        exit_code          INTEGER,
        pid                INTEGER,
        remote_dir         TEXT,
        log_bytes          INTEGER NOT NULL DEFAULT 0,
        message_channel_id TEXT,
        message_id         TEXT,
        note               TEXT
      );
      CREATE INDEX jobs_cluster ON jobs (cluster_id, id);
      CREATE INDEX jobs_state ON jobs (state, id);
    `,
  },
  {
    version: 3,
    sql: `
      -- Jobs not yet over: queued, running, and cancelled ones whose processes are not yet
      -- confirmed gone. Small, and read on every start, end and restart.
      CREATE INDEX jobs_unfinished ON jobs (cluster_id, id) WHERE ended_at_ms IS NULL;
    `,
  },
  {
    version: 4,
    sql: `
      -- How far into its log a job's chat thread is (posted, or counted in a skip notice), so a
      -- restarted bot continues the thread where the channel last saw it. Jobs from before
      -- this column continue from the bot's copy, as they did.
      ALTER TABLE jobs ADD COLUMN chat_bytes INTEGER NOT NULL DEFAULT 0;
      UPDATE jobs SET chat_bytes = log_bytes;
    `,
  },
  {
    version: 5,
    sql: `
      -- What the MPI check across the nodes found the last time the cluster became ready
      -- (ranks, latency, bandwidth), shown on the card. Null before a check ran, or with the
      -- check turned off.
      ALTER TABLE clusters ADD COLUMN ready_check TEXT;
    `,
  },
  {
    version: 6,
    sql: `
      -- Cost (issue 10): each interval records what it is billed at — region, Spot, and the
      -- price per node-hour in force when the node was allocated (null: no price known).
      ALTER TABLE usage_intervals ADD COLUMN region TEXT;
      ALTER TABLE usage_intervals ADD COLUMN spot INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE usage_intervals ADD COLUMN usd_per_hour REAL;
      CREATE INDEX usage_intervals_time ON usage_intervals (started_at_ms);

      -- The idle reaper's memory of each cluster. The warning columns are claimed with a
      -- compare-and-set, so overlapping ticks or a second bot process warn and reap once.
      CREATE TABLE idle_watch (
        cluster_id         TEXT PRIMARY KEY REFERENCES clusters (id),
        last_active_at_ms  INTEGER NOT NULL,
        keep_until_ms      INTEGER,
        kept_by            TEXT,
        warned_at_ms       INTEGER,
        warning_channel_id TEXT,
        warning_message_id TEXT
      );

      -- What the reaper saw of a running job, to tell a stuck one (no output, no CPU).
      CREATE TABLE job_watch (
        job_id            INTEGER PRIMARY KEY REFERENCES jobs (id),
        log_bytes         INTEGER NOT NULL,
        last_output_at_ms INTEGER NOT NULL,
        cpu_ticks         INTEGER NOT NULL,
        last_cpu_at_ms    INTEGER NOT NULL,
        stuck_asked_at_ms INTEGER
      );

      -- What the reaper stopped or deleted, for "idle hours reaped and the money that saved".
      CREATE TABLE reaps (
        id           INTEGER PRIMARY KEY,
        cluster_id   TEXT NOT NULL REFERENCES clusters (id),
        at_ms        INTEGER NOT NULL,
        action       TEXT NOT NULL,
        node_count   INTEGER NOT NULL,
        usd_per_hour REAL NOT NULL
      );
      CREATE INDEX reaps_time ON reaps (at_ms);

      -- Budget warnings already given (one per channel, month and threshold) and admin
      -- approvals to go over budget.
      CREATE TABLE budget_events (
        channel_id TEXT NOT NULL,
        month      TEXT NOT NULL,
        kind       TEXT NOT NULL,
        at_ms      INTEGER NOT NULL,
        user_id    TEXT,
        PRIMARY KEY (channel_id, month, kind)
      );
    `,
  },
];

/** The schema version recorded in the database (0 for a new, empty one). */
export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings `db` up to the last of `migrations`, each in its own transaction, and returns the
 * resulting version. Already-applied migrations are skipped, so this is idempotent. Throws
 * MpiboxError('internal') when the list is malformed or the database is newer than this build.
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number {
  checkSequence(migrations);
  const current = schemaVersion(db);
  if (current > migrations.length) {
    throw new MpiboxError('internal', 'database schema is newer than this build of mpibox', {
      databaseVersion: current,
      knownVersion: migrations.length,
    });
  }
  for (const migration of migrations.slice(current)) {
    db.transaction(() => {
      db.exec(migration.sql);
      // user_version lives in the database header, so the bump commits or rolls back with the SQL.
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
  return schemaVersion(db);
}

function checkSequence(migrations: readonly Migration[]): void {
  migrations.forEach((migration, position) => {
    if (migration.version !== position + 1) {
      throw new MpiboxError('internal', 'migrations must be numbered 1, 2, 3… in order', {
        position,
        version: migration.version,
      });
    }
  });
}
