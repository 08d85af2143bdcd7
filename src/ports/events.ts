import type { ClusterState } from '../domain/cluster.ts';
import type { JobState } from '../domain/job.ts';

/**
 * What happened, for whoever needs to know: usage intervals (cost), the idle reaper, the log
 * archive and metrics subscribe to these instead of being private steps inside the cluster
 * and job services. Times are epoch milliseconds (UTC).
 */
export type DomainEvent =
  | {
      /** A node became allocated and running: billing starts (idempotent for one that runs). */
      type: 'node-started';
      clusterId: string;
      nodeName: string;
      /** Size name, for the price. */
      size: string;
      spot: boolean;
      atMs: number;
    }
  | {
      /** A node stopped billing: deallocated, removed by a shrink, or deleted with its cluster. */
      type: 'node-stopped';
      clusterId: string;
      nodeName: string;
      reason: 'deallocated' | 'removed' | 'deleted' | 'failed';
      atMs: number;
    }
  | {
      type: 'cluster-state-changed';
      clusterId: string;
      from: ClusterState;
      to: ClusterState;
      atMs: number;
    }
  | {
      type: 'job-ended';
      jobId: number;
      clusterId: string;
      state: JobState;
      atMs: number;
    };

/** One event type's shape, by its `type`. */
export type EventOf<T extends DomainEvent['type']> = Extract<DomainEvent, { type: T }>;

/**
 * In-process publish/subscribe. `publish` calls every subscriber synchronously, in
 * subscription order, so a subscriber's store writes join the publisher's transaction; a
 * subscriber that throws is logged and does not stop the others or the publisher.
 */
export interface DomainEvents {
  publish(event: DomainEvent): void;
  /** Calls `handler` for every later event; returns the unsubscribe function. */
  subscribe(handler: (event: DomainEvent) => void): () => void;
}
