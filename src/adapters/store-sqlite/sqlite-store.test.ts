import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { MpiboxError } from '../../domain/errors.ts';
import type { KeyRow, NewNodeRow } from '../../ports/store.ts';
import { caught, newCluster } from './fixtures.ts';
import { openSqliteStore, type SqliteStore } from './sqlite-store.ts';

function newNode(index: number, overrides: Partial<NewNodeRow> = {}): NewNodeRow {
  return {
    index,
    name: `alpha-${index}`,
    host: '127.0.0.1',
    port: 2200 + index,
    slots: 4,
    state: 'running',
    ...overrides,
  };
}

function newKey(overrides: Partial<KeyRow> = {}): KeyRow {
  return {
    fingerprint: 'SHA256:aaaa',
    userId: 'U1',
    type: 'ssh-ed25519',
    bits: 256,
    publicKey: 'ssh-ed25519 AAAAC3Nz alice@laptop',
    comment: 'alice@laptop',
    addedAtMs: 5_000,
    ...overrides,
  };
}

describe('SqliteStore', () => {
  let store: SqliteStore;

  beforeEach(() => {
    store = openSqliteStore(':memory:');
  });

  afterEach(() => {
    store.close();
  });

  describe('clusters', () => {
    it('inserts a cluster as creating and reads it back by id', () => {
      const row = newCluster({ spot: true });

      const inserted = store.insertCluster(row);

      const expected = {
        ...row,
        state: 'creating',
        updatedAtMs: 1_000,
        deletedAtMs: null,
        cardChannelId: null,
        cardMessageId: null,
        lastError: null,
        readyCheck: null,
      };
      expect(inserted).toEqual(expected);
      expect(store.getCluster('c-1')).toEqual(expected);
      expect(store.getCluster('c-1')?.spot).toBe(true);
    });

    it('returns null for an unknown id or name', () => {
      store.insertCluster(newCluster());

      const byId = store.getCluster('nope');
      const byName = store.findLiveClusterByName('nope');

      expect(byId).toBeNull();
      expect(byName).toBeNull();
    });

    it('refuses a second live cluster with the same name', () => {
      store.insertCluster(newCluster());

      const error = caught(() => store.insertCluster(newCluster({ id: 'c-2', channelId: 'C2' })));

      expect(error.code).toBe('conflict');
      expect(error.fields).toEqual({ name: 'alpha' });
      expect(store.getCluster('c-2')).toBeNull();
    });

    it('refuses a reused id', () => {
      store.insertCluster(newCluster());
      store.updateCluster('c-1', { state: 'deleted', updatedAtMs: 2_000 });

      const error = caught(() => store.insertCluster(newCluster({ name: 'beta' })));

      expect(error.code).toBe('conflict');
      expect(error.fields).toEqual({ id: 'c-1' });
    });

    it('lets a deleted or failed cluster name be reused', () => {
      store.insertCluster(newCluster({ id: 'c-1' }));
      store.updateCluster('c-1', { state: 'deleted', deletedAtMs: 2_000, updatedAtMs: 2_000 });
      store.insertCluster(newCluster({ id: 'c-2', createdAtMs: 3_000 }));
      store.updateCluster('c-2', { state: 'failed', updatedAtMs: 4_000 });

      store.insertCluster(newCluster({ id: 'c-3', createdAtMs: 5_000 }));

      expect(store.findLiveClusterByName('alpha')?.id).toBe('c-3');
      expect(store.getCluster('c-1')?.state).toBe('deleted');
      expect(store.getCluster('c-2')?.state).toBe('failed');
    });

    it('lists live clusters oldest first, optionally by channel', () => {
      store.insertCluster(newCluster({ id: 'c-late', name: 'late', channelId: 'C1', createdAtMs: 3_000 }));
      store.insertCluster(newCluster({ id: 'c-early', name: 'early', channelId: 'C1', createdAtMs: 1_000 }));
      store.insertCluster(newCluster({ id: 'c-other', name: 'other', channelId: 'C2', createdAtMs: 2_000 }));
      store.insertCluster(newCluster({ id: 'c-gone', name: 'gone', channelId: 'C1', createdAtMs: 500 }));
      store.updateCluster('c-gone', { state: 'deleted', updatedAtMs: 4_000 });

      const all = store.listLiveClusters().map((row) => row.id);
      const inChannel = store.listLiveClusters('C1').map((row) => row.id);
      const empty = store.listLiveClusters('C9');

      expect(all).toEqual(['c-early', 'c-other', 'c-late']);
      expect(inChannel).toEqual(['c-early', 'c-late']);
      expect(empty).toEqual([]);
    });

    it('serves repeated live-cluster lists from memory, never stale after a change', () => {
      store.insertCluster(newCluster({ id: 'c-1', name: 'one', channelId: 'C1' }));
      const first = store.listLiveClusters('C1');
      store.listLiveClusters(); // cache both keys

      store.insertCluster(newCluster({ id: 'c-2', name: 'two', channelId: 'C1', createdAtMs: 9_000 }));
      expect(store.listLiveClusters('C1').map((row) => row.id)).toEqual(['c-1', 'c-2']);
      store.updateCluster('c-1', { state: 'ready', updatedAtMs: 2_000 });
      expect(store.listLiveClusters('C1').map((row) => row.state)).toEqual(['ready', 'creating']);
      store.updateCluster('c-2', { state: 'deleted', updatedAtMs: 3_000 });
      expect(store.listLiveClusters().map((row) => row.id)).toEqual(['c-1']);

      // A caller cannot change what the next caller gets.
      expect(() => {
        (first[0] as { state: string }).state = 'deleted';
      }).toThrow(TypeError);
      store.listLiveClusters('C1').pop();
      expect(store.listLiveClusters('C1')).toHaveLength(1);
    });

    it('does not keep a live-cluster list read inside a transaction that rolls back', () => {
      store.insertCluster(newCluster({ id: 'c-1', name: 'one', channelId: 'C1' }));
      expect(() =>
        store.transaction(() => {
          store.updateCluster('c-1', { state: 'deleted', updatedAtMs: 2_000 });
          expect(store.listLiveClusters('C1')).toEqual([]);
          throw new Error('roll back');
        }),
      ).toThrow('roll back');

      expect(store.listLiveClusters('C1').map((row) => row.id)).toEqual(['c-1']);
    });

    it('patches only the given keys and bumps updatedAtMs', () => {
      store.insertCluster(newCluster());
      store.updateCluster('c-1', { state: 'ready', lastError: 'boom', updatedAtMs: 2_000 });

      const updated = store.updateCluster('c-1', {
        cardChannelId: 'C1',
        cardMessageId: '171.42',
        updatedAtMs: 3_000,
      });

      expect(updated).toMatchObject({
        state: 'ready',
        nodeCount: 2,
        lastError: 'boom',
        cardChannelId: 'C1',
        cardMessageId: '171.42',
        updatedAtMs: 3_000,
        createdAtMs: 1_000,
      });
      expect(store.getCluster('c-1')).toEqual(updated);
    });

    it('sets a nullable column back to null when the patch says null', () => {
      store.insertCluster(newCluster());
      store.updateCluster('c-1', { lastError: 'boom', nodeCount: 5, updatedAtMs: 2_000 });

      const updated = store.updateCluster('c-1', { lastError: null, updatedAtMs: 3_000 });

      expect(updated.lastError).toBeNull();
      expect(updated.nodeCount).toBe(5);
    });

    it('keeps the MPI check line until a patch changes it', () => {
      store.insertCluster(newCluster());
      store.updateCluster('c-1', { readyCheck: 'MPI check passed: 4 ranks.', updatedAtMs: 2_000 });

      const kept = store.updateCluster('c-1', { state: 'ready', updatedAtMs: 3_000 });
      const cleared = store.updateCluster('c-1', { readyCheck: null, updatedAtMs: 4_000 });

      expect(kept.readyCheck).toBe('MPI check passed: 4 ranks.');
      expect(cleared.readyCheck).toBeNull();
    });

    it('throws not-found when updating an unknown cluster', () => {
      const error = caught(() => store.updateCluster('nope', { state: 'ready', updatedAtMs: 1 }));

      expect(error.code).toBe('not-found');
      expect(error.fields).toEqual({ id: 'nope' });
    });

    it('refuses to revive a failed cluster whose name a live one took', () => {
      store.insertCluster(newCluster({ id: 'c-1' }));
      store.updateCluster('c-1', { state: 'failed', updatedAtMs: 2_000 });
      store.insertCluster(newCluster({ id: 'c-2' }));

      const error = caught(() => store.updateCluster('c-1', { state: 'ready', updatedAtMs: 3_000 }));

      expect(error.code).toBe('conflict');
      expect(store.getCluster('c-1')?.state).toBe('failed');
    });
  });

  describe('nodes', () => {
    it('replaces the nodes of a cluster and lists them by index', () => {
      store.insertCluster(newCluster());
      store.setNodes('c-1', [newNode(0), newNode(1), newNode(2)]);

      store.setNodes('c-1', [newNode(1, { state: 'stopped' }), newNode(0, { host: '10.0.0.4' })]);

      expect(store.listNodes('c-1')).toEqual([
        { ...newNode(0, { host: '10.0.0.4' }), clusterId: 'c-1' },
        { ...newNode(1, { state: 'stopped' }), clusterId: 'c-1' },
      ]);
    });

    it('clears nodes with an empty list and keeps other clusters apart', () => {
      store.insertCluster(newCluster({ id: 'c-1', name: 'alpha' }));
      store.insertCluster(newCluster({ id: 'c-2', name: 'beta' }));
      store.setNodes('c-1', [newNode(0)]);
      store.setNodes('c-2', [newNode(0, { name: 'beta-0' })]);

      store.setNodes('c-1', []);

      expect(store.listNodes('c-1')).toEqual([]);
      expect(store.listNodes('c-2').map((node) => node.name)).toEqual(['beta-0']);
    });

    it('throws not-found for nodes of an unknown cluster', () => {
      const error = caught(() => store.setNodes('nope', [newNode(0)]));

      expect(error.code).toBe('not-found');
      expect(store.listNodes('nope')).toEqual([]);
    });
  });

  describe('usage', () => {
    const usage = { clusterId: 'c-1', nodeName: 'alpha-0', size: 'Standard_D2s_v5' };
    const unpriced = { region: null, spot: false, usdPerHour: null };

    beforeEach(() => {
      store.insertCluster(newCluster());
    });

    it('opens at most one interval per node and closes it once', () => {
      store.openUsage({ ...usage, startedAtMs: 1_000 });
      store.openUsage({ ...usage, startedAtMs: 1_500 });

      store.closeUsage('c-1', 'alpha-0', 2_000);
      store.closeUsage('c-1', 'alpha-0', 2_500);

      expect(store.listUsage('c-1')).toEqual([
        { ...usage, ...unpriced, startedAtMs: 1_000, stoppedAtMs: 2_000 },
      ]);
    });

    it('keeps open and closed intervals of several nodes, oldest first', () => {
      store.openUsage({ ...usage, startedAtMs: 1_000 });
      store.closeUsage('c-1', 'alpha-0', 2_000);
      store.openUsage({ ...usage, nodeName: 'alpha-1', startedAtMs: 1_200 });

      store.openUsage({ ...usage, startedAtMs: 3_000 });

      expect(store.listUsage('c-1')).toEqual([
        { ...usage, ...unpriced, startedAtMs: 1_000, stoppedAtMs: 2_000 },
        { ...usage, ...unpriced, nodeName: 'alpha-1', startedAtMs: 1_200, stoppedAtMs: null },
        { ...usage, ...unpriced, startedAtMs: 3_000, stoppedAtMs: null },
      ]);
    });

    it('records the price in force and lists intervals overlapping a window with their owner', () => {
      store.openUsage({ ...usage, startedAtMs: 1_000, region: 'eastus', spot: true, usdPerHour: 0.36 });
      store.closeUsage('c-1', 'alpha-0', 5_000);
      store.openUsage({
        ...usage,
        nodeName: 'alpha-1',
        startedAtMs: 6_000,
        region: 'eastus',
        usdPerHour: 3.6,
      });

      const inWindow = store.listUsageBetween(4_000, 5_500);
      const later = store.listUsageBetween(5_500, 9_000);

      expect(inWindow).toEqual([
        {
          ...usage,
          startedAtMs: 1_000,
          stoppedAtMs: 5_000,
          region: 'eastus',
          spot: true,
          usdPerHour: 0.36,
          clusterName: 'alpha',
          ownerId: newCluster().ownerId,
          channelId: newCluster().channelId,
        },
      ]);
      expect(later.map((row) => [row.nodeName, row.usdPerHour, row.spot])).toEqual([['alpha-1', 3.6, false]]);
    });

    it('claims a warning and a reap once, and never a reap of a cluster with a job', () => {
      store.updateCluster('c-1', { state: 'ready', updatedAtMs: 2_000 });
      store.touchActivity('c-1', 1_000);

      const first = store.claimWarning('c-1', 10_000);
      const second = store.claimWarning('c-1', 10_001);
      const wrongWarning = store.claimReap('c-1', 9_999, 'stopping', 20_000);
      const reaped = store.claimReap('c-1', 10_000, 'stopping', 20_000);
      const again = store.claimReap('c-1', 10_000, 'deleting', 20_001);

      expect([first, second, wrongWarning, reaped, again]).toEqual([true, false, false, true, false]);
      expect(store.getCluster('c-1')?.state).toBe('stopping');
      // The warning acted on is over: a later tick cannot withdraw it.
      expect(store.getIdleWatch('c-1')).toMatchObject({ lastActiveAtMs: 1_000, warnedAtMs: null });
    });

    it('ignores closing a node with no open interval', () => {
      store.closeUsage('c-1', 'alpha-0', 2_000);

      const rows = store.listUsage('c-1');

      expect(rows).toEqual([]);
    });

    it('throws not-found when opening usage of an unknown cluster', () => {
      const error = caught(() => store.openUsage({ ...usage, clusterId: 'nope', startedAtMs: 1 }));

      expect(error.code).toBe('not-found');
    });
  });

  describe('users and keys', () => {
    it('records channel members once each, first seen first', () => {
      store.touchUser('U2', 'bob', 'C1', 2_000);
      store.touchUser('U1', 'alice', 'C1', 1_000);
      store.touchUser('U2', 'bobby', 'C1', 3_000);

      store.touchUser('U1', 'alice', 'C2', 4_000);

      expect(store.listChannelMembers('C1')).toEqual(['U1', 'U2']);
      expect(store.listChannelMembers('C2')).toEqual(['U1']);
      expect(store.listChannelMembers('C9')).toEqual([]);
      expect(store.listUserChannels('U1')).toEqual(['C1', 'C2']);
      expect(store.listUserChannels('U9')).toEqual([]);
    });

    it('adds keys and lists a user’s keys oldest first', () => {
      store.addKey(newKey({ fingerprint: 'SHA256:new', addedAtMs: 9_000 }));
      store.addKey(newKey({ fingerprint: 'SHA256:old', addedAtMs: 1_000 }));
      store.addKey(newKey({ fingerprint: 'SHA256:bob', userId: 'U2' }));

      const keys = store.listKeys('U1');

      expect(keys).toEqual([
        newKey({ fingerprint: 'SHA256:old', addedAtMs: 1_000 }),
        newKey({ fingerprint: 'SHA256:new', addedAtMs: 9_000 }),
      ]);
    });

    it('refuses a fingerprint that is already registered, even by another user', () => {
      store.addKey(newKey());

      const error = caught(() => store.addKey(newKey({ userId: 'U2' })));

      expect(error.code).toBe('conflict');
      expect(error.fields).toEqual({ fingerprint: 'SHA256:aaaa' });
      expect(store.listKeys('U2')).toEqual([]);
    });

    it('lists the keys of every member of a channel and nobody else', () => {
      store.touchUser('U1', 'alice', 'C1', 1_000);
      store.touchUser('U2', 'bob', 'C1', 1_000);
      store.touchUser('U3', 'carol', 'C2', 1_000);
      store.addKey(newKey({ fingerprint: 'SHA256:a', userId: 'U1', addedAtMs: 3 }));
      store.addKey(newKey({ fingerprint: 'SHA256:b', userId: 'U2', addedAtMs: 2 }));
      store.addKey(newKey({ fingerprint: 'SHA256:c', userId: 'U3', addedAtMs: 1 }));

      const keys = store.listChannelKeys('C1').map((key) => key.fingerprint);

      expect(keys).toEqual(['SHA256:b', 'SHA256:a']);
    });

    it('removes only the caller’s own key', () => {
      store.addKey(newKey({ fingerprint: 'SHA256:a', userId: 'U1' }));

      const byOther = store.removeKey('U2', 'SHA256:a');
      const byOwner = store.removeKey('U1', 'SHA256:a');
      const again = store.removeKey('U1', 'SHA256:a');

      expect([byOther, byOwner, again]).toEqual([false, true, false]);
      expect(store.listKeys('U1')).toEqual([]);
    });
  });

  describe('audit', () => {
    it('lists the most recent lines first, up to the limit', () => {
      for (const [index, text] of ['/mpi up', '/mpi status', '/mpi down'].entries()) {
        store.audit({ atMs: 1_000 + index, userId: 'U1', channelId: 'C1', text, result: 'ok' });
      }

      const lines = store.listAudit(2);

      expect(lines).toEqual([
        { id: 3, atMs: 1_002, userId: 'U1', channelId: 'C1', text: '/mpi down', result: 'ok' },
        { id: 2, atMs: 1_001, userId: 'U1', channelId: 'C1', text: '/mpi status', result: 'ok' },
      ]);
    });
  });

  describe('transaction', () => {
    it('returns the value of the work', () => {
      const value = store.transaction(() => store.insertCluster(newCluster()).id);

      expect(value).toBe('c-1');
      expect(store.getCluster('c-1')).not.toBeNull();
    });

    it('rolls everything back and rethrows when the work throws', () => {
      const failure = new Error('half way');

      const run = (): void =>
        store.transaction(() => {
          store.insertCluster(newCluster());
          store.setNodes('c-1', [newNode(0)]);
          store.openUsage({ clusterId: 'c-1', nodeName: 'alpha-0', size: 's', startedAtMs: 1 });
          store.touchUser('U1', 'alice', 'C1', 1);
          store.addKey(newKey());
          store.audit({ atMs: 1, userId: 'U1', channelId: 'C1', text: '/mpi up', result: 'ok' });
          throw failure;
        });

      expect(run).toThrow(failure);
      expect(store.getCluster('c-1')).toBeNull();
      expect(store.listNodes('c-1')).toEqual([]);
      expect(store.listUsage('c-1')).toEqual([]);
      expect(store.listChannelMembers('C1')).toEqual([]);
      expect(store.listKeys('U1')).toEqual([]);
      expect(store.listAudit(10)).toEqual([]);
    });

    it('nests: a caught inner failure undoes only the inner work', () => {
      store.transaction(() => {
        store.insertCluster(newCluster({ id: 'c-outer', name: 'outer' }));
        try {
          store.transaction(() => {
            store.insertCluster(newCluster({ id: 'c-inner', name: 'inner' }));
            throw new Error('inner');
          });
        } catch {
          // Expected: the outer transaction carries on.
        }
      });

      const ids = store.listLiveClusters().map((row) => row.id);

      expect(ids).toEqual(['c-outer']);
    });

    it('nests: an outer failure undoes committed inner work too', () => {
      const run = (): void =>
        store.transaction(() => {
          store.transaction(() => store.insertCluster(newCluster()));
          throw new Error('outer');
        });

      expect(run).toThrow('outer');
      expect(store.getCluster('c-1')).toBeNull();
    });

    it('leaves the store usable after a constraint failure inside a transaction', () => {
      store.insertCluster(newCluster());

      store.transaction(() => {
        expect(() => store.insertCluster(newCluster({ id: 'c-2' }))).toThrow(MpiboxError);
        store.insertCluster(newCluster({ id: 'c-3', name: 'gamma' }));
      });

      expect(store.listLiveClusters().map((row) => row.id)).toEqual(['c-1', 'c-3']);
    });
  });
});
