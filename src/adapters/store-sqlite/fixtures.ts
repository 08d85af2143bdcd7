import { expect } from 'vitest';

import { MpiboxError } from '../../domain/errors.ts';
import type { NewClusterRow, NewJobRow } from '../../ports/store.ts';

// Test-only builders shared by the store's test files; production code never imports this.

export function newCluster(overrides: Partial<NewClusterRow> = {}): NewClusterRow {
  return {
    id: 'c-1',
    name: 'alpha',
    channelId: 'C1',
    ownerId: 'U1',
    provider: 'local',
    size: 'Standard_D2s_v5',
    spot: false,
    nodeCount: 2,
    createdAtMs: 1_000,
    ...overrides,
  };
}

export function newJob(overrides: Partial<NewJobRow> = {}): NewJobRow {
  return {
    clusterId: 'c-1',
    channelId: 'C1',
    userId: 'U1',
    command: "./ring --size 'a b'",
    ranks: 4,
    ranksPerNode: null,
    timeoutInMs: null,
    submittedAtMs: 10_000,
    ...overrides,
  };
}

/** Runs `work` and returns the MpiboxError it throws (fails the test if it throws nothing else). */
export function caught(work: () => unknown): MpiboxError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(MpiboxError);
    return error as MpiboxError;
  }
  throw new Error('expected an MpiboxError, nothing was thrown');
}
