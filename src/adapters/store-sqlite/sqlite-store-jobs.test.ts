import Sqlite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { JobState } from '../../domain/job.ts';
import { caught, newCluster, newJob } from './fixtures.ts';
import { migrate } from './migrations.ts';
import { openSqliteStore, SqliteStore } from './sqlite-store.ts';

// A Record forces this list to name every JobState: a new state fails typecheck here, a
// reminder that the CHECK on jobs.state needs a migration too.
const EVERY_STATE: Record<JobState, true> = {
  queued: true,
  running: true,
  succeeded: true,
  failed: true,
  cancelled: true,
  lost: true,
};

describe('SqliteStore jobs', () => {
  let store: SqliteStore;

  beforeEach(() => {
    store = openSqliteStore(':memory:');
    store.insertCluster(newCluster({ id: 'c-1', name: 'alpha', channelId: 'C1' }));
    store.insertCluster(newCluster({ id: 'c-2', name: 'beta', channelId: 'C2' }));
  });

  afterEach(() => {
    store.close();
  });

  it('inserts a job as queued with empty progress and reads it back by id', () => {
    const row = newJob({ ranksPerNode: 2, timeoutInMs: 600_000 });

    const inserted = store.insertJob(row);

    const expected = {
      ...row,
      id: 1,
      state: 'queued',
      startedAtMs: null,
      endedAtMs: null,
      exitCode: null,
      pid: null,
      remoteDir: null,
      logBytes: 0,
      chatBytes: 0,
      messageChannelId: null,
      messageId: null,
      note: null,
    };
    expect(inserted).toEqual(expected);
    expect(store.getJob(1)).toEqual(expected);
  });

  it('returns null for an unknown job id', () => {
    store.insertJob(newJob());

    const job = store.getJob(2);

    expect(job).toBeNull();
  });

  it('throws not-found when queueing on an unknown cluster', () => {
    const error = caught(() => store.insertJob(newJob({ clusterId: 'nope' })));

    expect(error.code).toBe('not-found');
    expect(error.fields).toEqual({ id: 'nope' });
    expect(store.listJobsByState(['queued'])).toEqual([]);
  });

  it('numbers jobs 1, 2, 3… across all clusters', () => {
    store.insertJob(newJob({ clusterId: 'c-1' }));
    store.insertJob(newJob({ clusterId: 'c-2', channelId: 'C2' }));

    const third = store.insertJob(newJob({ clusterId: 'c-1' }));

    expect(third.id).toBe(3);
  });

  it('never hands out the id of a deleted newest job again', () => {
    const db = new Sqlite(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db);
    const own = new SqliteStore(db);
    own.insertCluster(newCluster());
    own.insertJob(newJob());
    own.insertJob(newJob());
    // No port verb deletes jobs; an operator pruning rows by hand is the case AUTOINCREMENT covers.
    db.prepare('DELETE FROM jobs WHERE id = 2').run();

    const next = own.insertJob(newJob());
    own.close();

    expect(next.id).toBe(3);
  });

  it('patches only the given keys', () => {
    store.insertJob(newJob());
    store.updateJob(1, { state: 'running', startedAtMs: 11_000, pid: 4242, remoteDir: '/shared/jobs/1' });

    const updated = store.updateJob(1, {
      messageChannelId: 'C1',
      messageId: '171.42',
      logBytes: 512,
      chatBytes: 300,
    });

    expect(updated).toMatchObject({
      ...newJob(),
      id: 1,
      state: 'running',
      startedAtMs: 11_000,
      pid: 4242,
      remoteDir: '/shared/jobs/1',
      messageChannelId: 'C1',
      messageId: '171.42',
      logBytes: 512,
      chatBytes: 300,
      endedAtMs: null,
      exitCode: null,
      note: null,
    });
    expect(store.getJob(1)).toEqual(updated);
  });

  it('clears a nullable column on null and keeps it on undefined', () => {
    store.insertJob(newJob());
    store.updateJob(1, { pid: 4242, note: 'retrying', exitCode: 0 });

    const updated = store.updateJob(1, { pid: null, note: undefined, exitCode: 1 });

    expect(updated).toMatchObject({ pid: null, note: 'retrying', exitCode: 1 });
  });

  it('returns the row unchanged for an empty patch', () => {
    const inserted = store.insertJob(newJob());

    const updated = store.updateJob(1, {});

    expect(updated).toEqual(inserted);
  });

  it('throws not-found when updating an unknown job', () => {
    const error = caught(() => store.updateJob(7, { state: 'running' }));

    expect(error.code).toBe('not-found');
    expect(error.fields).toEqual({ id: 7 });
  });

  it('stores every job state and refuses any other', () => {
    const states = Object.keys(EVERY_STATE) as JobState[];
    store.insertJob(newJob());

    const stored = states.map((state) => store.updateJob(1, { state }).state);
    const bogus = (): unknown => store.updateJob(1, { state: 'paused' as JobState });

    expect(stored).toEqual(states);
    expect(bogus).toThrow(/CHECK constraint/);
    expect(store.getJob(1)?.state).toBe('lost');
  });

  it('lists the jobs of one cluster newest first, up to the limit', () => {
    for (const clusterId of ['c-1', 'c-2', 'c-1', 'c-1', 'c-2']) {
      store.insertJob(newJob({ clusterId }));
    }

    const latestTwo = store.listJobs('c-1', 2).map((job) => job.id);
    const all = store.listJobs('c-1', 10).map((job) => job.id);
    const none = store.listJobs('c-9', 10);

    expect(latestTwo).toEqual([4, 3]);
    expect(all).toEqual([4, 3, 1]);
    expect(none).toEqual([]);
  });

  it('lists jobs in the given states oldest first, across clusters or in one', () => {
    for (const clusterId of ['c-1', 'c-2', 'c-1', 'c-2', 'c-1']) {
      store.insertJob(newJob({ clusterId }));
    }
    store.updateJob(1, { state: 'running' });
    store.updateJob(2, { state: 'running' });
    store.updateJob(3, { state: 'succeeded' });

    const active = store.listJobsByState(['running', 'queued']).map((job) => job.id);
    const activeInC1 = store.listJobsByState(['queued', 'running'], 'c-1').map((job) => job.id);
    const queuedInC2 = store.listJobsByState(['queued'], 'c-2').map((job) => job.id);
    const noStates = store.listJobsByState([]);

    expect(active).toEqual([1, 2, 4, 5]);
    expect(activeInC1).toEqual([1, 5]);
    expect(queuedInC2).toEqual([4]);
    expect(noStates).toEqual([]);
  });

  it('lists unfinished jobs: queued, running, and cancelled ones not yet confirmed gone', () => {
    for (const clusterId of ['c-1', 'c-2', 'c-1', 'c-1', 'c-1']) {
      store.insertJob(newJob({ clusterId }));
    }
    store.updateJob(1, { state: 'running' });
    store.updateJob(3, { state: 'cancelled' }); // its processes are still being killed
    store.updateJob(4, { state: 'cancelled', endedAtMs: 9_000 });
    store.updateJob(5, { state: 'succeeded', endedAtMs: 9_000 });

    expect(store.listUnfinishedJobs().map((job) => job.id)).toEqual([1, 2, 3]);
    expect(store.listUnfinishedJobs('c-1').map((job) => job.id)).toEqual([1, 3]);
    expect(store.listUnfinishedJobs('c-9')).toEqual([]);
  });

  it('undoes a job queued in a transaction that fails', () => {
    const run = (): void =>
      store.transaction(() => {
        store.insertJob(newJob());
        throw new Error('half way');
      });

    expect(run).toThrow('half way');
    expect(store.getJob(1)).toBeNull();
    expect(store.listJobs('c-1', 10)).toEqual([]);
  });
});
