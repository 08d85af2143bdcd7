import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Sqlite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { MpiboxError } from '../../domain/errors.ts';
import type { NewClusterRow } from '../../ports/store.ts';
import { MIGRATIONS, migrate, schemaVersion } from './migrations.ts';
import { openSqliteStore } from './sqlite-store.ts';

const cluster: NewClusterRow = {
  id: 'c-1',
  name: 'alpha',
  channelId: 'C1',
  ownerId: 'U1',
  provider: 'azure',
  size: 'Standard_HB120rs_v3',
  spot: true,
  nodeCount: 3,
  createdAtMs: 1_000,
};

/** Reads a pragma through a separate connection, as an operator's sqlite3 shell would. */
function pragmaOf(path: string, name: string): unknown {
  const db = new Sqlite(path, { readonly: true });
  try {
    return db.pragma(name, { simple: true });
  } finally {
    db.close();
  }
}

describe('SqliteStore (file database)', () => {
  let dir: string;
  let path: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mpibox-store-'));
    path = join(dir, 'mpibox.db');
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps data across close and reopen', () => {
    const first = openSqliteStore(path);
    first.insertCluster(cluster);
    first.audit({ atMs: 1_000, userId: 'U1', channelId: 'C1', text: '/mpi up alpha', result: 'ok' });
    first.close();

    const second = openSqliteStore(path);
    const row = second.getCluster('c-1');
    const audit = second.listAudit(5);
    second.close();

    expect(row).toMatchObject({ ...cluster, state: 'creating' });
    expect(audit.map((line) => line.text)).toEqual(['/mpi up alpha']);
  });

  it('commits the audit lines of one event-loop turn together, right after it', async () => {
    const store = openSqliteStore(path);
    const reader = new Sqlite(path, { readonly: true });
    const count = () => (reader.prepare('SELECT count(*) AS n FROM audit_log').get() as { n: number }).n;

    for (let index = 0; index < 3; index += 1) {
      store.audit({ atMs: index, userId: 'U1', channelId: 'C1', text: `/mpi status ${index}`, result: 'ok' });
    }
    const duringTurn = count();
    await new Promise((resolve) => setImmediate(resolve));
    const afterTurn = count();
    reader.close();
    store.close();

    expect(duringTurn).toBe(0);
    expect(afterTurn).toBe(3);
  });

  it('uses WAL journaling and records the schema version', () => {
    const store = openSqliteStore(path);

    const journalMode = pragmaOf(path, 'journal_mode');
    const version = pragmaOf(path, 'user_version');
    store.close();

    expect(journalMode).toBe('wal');
    expect(version).toBe(MIGRATIONS.length);
  });

  it('migrates a database left at every older schema version', () => {
    for (let applied = 0; applied < MIGRATIONS.length; applied += 1) {
      const olderPath = join(dir, `older-${applied}.db`);
      const raw = new Sqlite(olderPath);
      migrate(raw, MIGRATIONS.slice(0, applied));
      raw.close();

      const store = openSqliteStore(olderPath);
      store.insertCluster(cluster);
      store.close();

      expect(pragmaOf(olderPath, 'user_version')).toBe(MIGRATIONS.length);
    }
  });

  it('moves a schema 1 database with a cluster to the current schema, keeping it and adding jobs', () => {
    const raw = new Sqlite(path);
    migrate(raw, MIGRATIONS.slice(0, 1));
    // Written with schema 1's own SQL, as a build from before jobs would have left it.
    raw
      .prepare(
        `INSERT INTO clusters (id, name, channel_id, owner_id, provider, size, spot, node_count, state,
           created_at_ms, updated_at_ms)
         VALUES ('c-1', 'alpha', 'C1', 'U1', 'azure', 'Standard_HB120rs_v3', 1, 3, 'ready', 1000, 2000)`,
      )
      .run();
    raw.close();

    const store = openSqliteStore(path);
    const row = store.getCluster('c-1');
    const job = store.insertJob({
      clusterId: 'c-1',
      channelId: 'C1',
      userId: 'U1',
      command: 'hostname',
      ranks: 2,
      ranksPerNode: null,
      timeoutInMs: null,
      submittedAtMs: 3_000,
    });
    const queued = store.listJobsByState(['queued'], 'c-1');
    store.close();

    expect(pragmaOf(path, 'user_version')).toBe(MIGRATIONS.length);
    expect(row).toMatchObject({ ...cluster, state: 'ready', updatedAtMs: 2_000 });
    expect(job).toMatchObject({ id: 1, clusterId: 'c-1', state: 'queued', logBytes: 0 });
    expect(queued).toEqual([job]);
  });

  it('applies a newly appended migration on open and keeps existing rows', () => {
    const old = openSqliteStore(path);
    old.insertCluster(cluster);
    old.setNodes('c-1', [
      { index: 0, name: 'alpha-0', host: '10.0.0.4', port: 22, slots: 120, state: 'running' },
    ]);
    old.close();
    const next = {
      version: MIGRATIONS.length + 1,
      sql: `CREATE TABLE labels (id TEXT PRIMARY KEY, cluster_id TEXT NOT NULL REFERENCES clusters (id));
            INSERT INTO labels (id, cluster_id) SELECT 'l-' || id, id FROM clusters;`,
    };

    const store = openSqliteStore(path, [...MIGRATIONS, next]);
    const row = store.getCluster('c-1');
    const nodes = store.listNodes('c-1');
    store.close();

    expect(row).toMatchObject(cluster);
    expect(nodes.map((node) => node.name)).toEqual(['alpha-0']);
    expect(pragmaOf(path, 'user_version')).toBe(MIGRATIONS.length + 1);
    const db = new Sqlite(path, { readonly: true });
    expect(db.prepare('SELECT id, cluster_id AS clusterId FROM labels').all()).toEqual([
      { id: 'l-c-1', clusterId: 'c-1' },
    ]);
    db.close();
  });

  it('refuses a database written by a newer build and leaves it untouched', () => {
    const raw = new Sqlite(path);
    migrate(raw);
    raw.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    raw.close();

    const open = (): unknown => openSqliteStore(path);

    expect(open).toThrow(MpiboxError);
    expect(pragmaOf(path, 'user_version')).toBe(MIGRATIONS.length + 1);
  });

  it('reports the version the schema helper sees', () => {
    const raw = new Sqlite(path);

    const before = schemaVersion(raw);
    const after = migrate(raw);
    raw.close();

    expect(before).toBe(0);
    expect(after).toBe(MIGRATIONS.length);
  });
});
