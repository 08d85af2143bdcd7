import { Counter, Gauge, type Registry } from 'prom-client';
import type { ClusterState, NodeState } from '../../domain/cluster.ts';
import type { JobState } from '../../domain/job.ts';
import type { Logger } from '../../ports/logger.ts';
import type { Store } from '../../ports/store.ts';

/** What the state gauges read at every scrape. */
export type StateSource = Pick<Store, 'listLiveClusters' | 'listNodes' | 'listUsage' | 'listUnfinishedJobs'>;

type LiveClusterState = Exclude<ClusterState, 'deleted' | 'failed'>;

// Every state is reported, 0 when none is in it, so a dashboard's series do not come and go.
// Records rather than arrays: adding a state to the union fails to compile here until listed.
const LIVE_CLUSTER_STATES = Object.keys({
  creating: 0,
  ready: 0,
  resizing: 0,
  stopping: 0,
  stopped: 0,
  starting: 0,
  deleting: 0,
} satisfies Record<LiveClusterState, 0>);
const NODE_STATES = Object.keys({
  pending: 0,
  running: 0,
  stopped: 0,
  deallocated: 0,
  terminated: 0,
  unknown: 0,
} satisfies Record<NodeState, 0>);
const UNFINISHED_JOB_STATES: readonly JobState[] = ['queued', 'running'];

/**
 * Gauges read from the Store at scrape time. A failed read keeps the last values (an old
 * number beats a false zero), logs, and counts in mpibox_metrics_store_errors_total.
 */
export function addStateGauges(
  registers: Registry[],
  source: () => StateSource | null,
  logger: Logger,
): void {
  const errors = new Counter({
    name: 'mpibox_metrics_store_errors_total',
    help: 'Scrapes whose read of the store failed; the state gauges then show their previous values.',
    registers,
  });
  function stateGauge(name: string, help: string, read: (store: StateSource) => Map<string, number>): void {
    new Gauge({
      name,
      help,
      labelNames: ['state'],
      registers,
      collect() {
        const store = source();
        if (store === null) return;
        let counts;
        try {
          counts = read(store);
        } catch (error) {
          errors.inc();
          logger.warn('metrics: store read failed', { metric: name, error: String(error) });
          return;
        }
        this.reset();
        for (const [state, count] of counts) this.set({ state }, count);
      },
    });
  }

  stateGauge('mpibox_clusters', 'Live clusters (not deleted, not failed) by state.', (store) =>
    countBy(LIVE_CLUSTER_STATES, store.listLiveClusters(), (cluster) => cluster.state),
  );
  stateGauge(
    'mpibox_nodes',
    'Nodes of live clusters by state, as the provider last reported them.',
    (store) =>
      countBy(
        NODE_STATES,
        store.listLiveClusters().flatMap((cluster) => store.listNodes(cluster.id)),
        (node) => node.state,
      ),
  );
  stateGauge(
    'mpibox_jobs',
    'Jobs not yet ended by state (cancelled: stop asked, processes not yet confirmed gone).',
    (store) => countBy(UNFINISHED_JOB_STATES, store.listUnfinishedJobs(), (job) => job.state),
  );

  function valueGauge(name: string, help: string, read: (store: StateSource) => number): void {
    let last = 0;
    new Gauge({
      name,
      help,
      registers,
      collect() {
        const store = source();
        if (store === null) return;
        try {
          last = read(store);
        } catch (error) {
          errors.inc();
          logger.warn('metrics: store read failed', { metric: name, error: String(error) });
        }
        this.set(last);
      },
    });
  }

  valueGauge(
    'mpibox_estimated_spend_usd_per_hour',
    'Sum of the hourly prices of every node billing now (open usage intervals with a known price).',
    (store) => openIntervals(store).usdPerHour,
  );
  valueGauge(
    'mpibox_unpriced_billing_nodes',
    'Nodes billing now with no known price, left out of mpibox_estimated_spend_usd_per_hour.',
    (store) => openIntervals(store).unpriced,
  );
}

/** Open usage intervals (billing nodes) of the live clusters: their summed price and the unpriced. */
function openIntervals(store: StateSource): { usdPerHour: number; unpriced: number } {
  let usdPerHour = 0;
  let unpriced = 0;
  for (const cluster of store.listLiveClusters()) {
    for (const interval of store.listUsage(cluster.id)) {
      if (interval.stoppedAtMs !== null) continue;
      if (interval.usdPerHour === null) unpriced += 1;
      else usdPerHour += interval.usdPerHour;
    }
  }
  return { usdPerHour, unpriced };
}

function countBy<T>(
  known: readonly string[],
  items: readonly T[],
  key: (item: T) => string,
): Map<string, number> {
  const counts = new Map(known.map((state) => [state, 0]));
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}
