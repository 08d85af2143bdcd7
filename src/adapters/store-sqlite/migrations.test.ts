import Sqlite, { type Database } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { MpiboxError } from '../../domain/errors.ts';
import { MIGRATIONS, migrate, schemaVersion, type Migration } from './migrations.ts';

function tableNames(db: Database): string[] {
  const rows = db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
    .all() as { name: string }[];
  return rows.map((row) => row.name);
}

describe('migrate', () => {
  let db: Database;

  beforeEach(() => {
    db = new Sqlite(':memory:');
  });

  afterEach(() => {
    db.close();
  });

  it('creates every table of the first schema', () => {
    const version = migrate(db, MIGRATIONS.slice(0, 1));

    expect(version).toBe(1);
    expect(tableNames(db)).toEqual([
      'audit_log',
      'channel_members',
      'clusters',
      'nodes',
      'ssh_keys',
      'usage_intervals',
      'users',
    ]);
  });

  it('adds the jobs table and its indexes in the second schema', () => {
    migrate(db, MIGRATIONS.slice(0, 1));

    const version = migrate(db, MIGRATIONS.slice(0, 2));

    expect(version).toBe(2);
    expect(tableNames(db)).toContain('jobs');
    expect(db.prepare(`SELECT name FROM pragma_index_list('jobs') ORDER BY name`).pluck().all()).toEqual([
      'jobs_cluster',
      'jobs_state',
    ]);
  });

  it('skips migrations already applied', () => {
    migrate(db);

    const version = migrate(db);

    expect(version).toBe(MIGRATIONS.length);
  });

  it('applies only the pending tail of the list, in order', () => {
    const synthetic: Migration[] = [
      { version: 1, sql: 'CREATE TABLE steps (n INTEGER)' },
      { version: 2, sql: 'INSERT INTO steps VALUES (2)' },
      { version: 3, sql: 'INSERT INTO steps VALUES (3)' },
    ];
    migrate(db, synthetic.slice(0, 2));

    const version = migrate(db, synthetic);

    expect(version).toBe(3);
    expect(db.prepare('SELECT n FROM steps ORDER BY rowid').pluck().all()).toEqual([2, 3]);
  });

  it('rolls back a failing migration and keeps the version before it', () => {
    const broken: Migration[] = [
      { version: 1, sql: 'CREATE TABLE kept (n INTEGER)' },
      { version: 2, sql: 'CREATE TABLE lost (n INTEGER); INSERT INTO missing VALUES (1);' },
    ];

    const run = (): number => migrate(db, broken);

    expect(run).toThrow(/missing/);
    expect(schemaVersion(db)).toBe(1);
    expect(tableNames(db)).toEqual(['kept']);
  });

  it('rejects a list that is not numbered 1, 2, 3…', () => {
    const gap: Migration[] = [
      { version: 1, sql: 'SELECT 1' },
      { version: 3, sql: 'SELECT 3' },
    ];

    const run = (): number => migrate(db, gap);

    expect(run).toThrow(MpiboxError);
    expect(schemaVersion(db)).toBe(0);
  });

  it('rejects a database newer than the list', () => {
    db.pragma('user_version = 7');

    const run = (): number => migrate(db, MIGRATIONS);

    expect(run).toThrow(
      expect.objectContaining({ code: 'internal', fields: expect.objectContaining({ databaseVersion: 7 }) }),
    );
  });
});
