import { billingRate, costBetween, formatUsd, jobCost, type CostTotal } from '../domain/cost.ts';
import { formatDuration } from '../domain/policy.ts';
import { periodAround } from '../domain/time-zone.ts';
import type { Clock } from '../ports/clock.ts';
import type { ClusterRow, Store, UsageCostRow } from '../ports/store.ts';

/** Prices of node sizes now (a PriceBook behind it; local sizes priced as their configured equivalent). */
export interface Pricing {
  /** USD per node-hour of `size` (Spot or not) and the region it is for; null when unknown. */
  nodeHourly(size: string, spot: boolean): { region: string | null; usdPerHour: number } | null;
}

/** A period users ask about: `/mpi cost today|week|month`. */
export type CostPeriod = 'day' | 'week' | 'month';

/**
 * What clusters cost, from the usage intervals (node-seconds × the price in force when each
 * interval started). Periods are calendar days, Monday weeks and months in the team's zone.
 */
export class CostService {
  readonly #deps: { store: Store; clock: Clock; pricing: Pricing; timeZone: string };

  constructor(deps: { store: Store; clock: Clock; pricing: Pricing; timeZone: string }) {
    this.#deps = deps;
  }

  /** Everything a cluster cost, up to now. */
  clusterTotal(clusterId: string): CostTotal {
    return costBetween(this.#deps.store.listUsage(clusterId), 0, this.#deps.clock.nowInMs());
  }

  /** What a cluster costs per hour right now: its billing nodes at their prices; 0 when none bill. */
  clusterHourly(clusterId: string): number {
    return billingRate(this.#deps.store.listUsage(clusterId));
  }

  /** The hourly cost of `nodes` × `size` at today's price; null when the size has no price. */
  estimateHourly(size: string, spot: boolean, nodes: number): number | null {
    const price = this.#deps.pricing.nodeHourly(size, spot);
    return price === null ? null : price.usdPerHour * nodes;
  }

  /** The price per node-hour of a cluster's size now; null when unknown. */
  nodeHourly(cluster: Pick<ClusterRow, 'size' | 'spot'>): number | null {
    return this.#deps.pricing.nodeHourly(cluster.size, cluster.spot)?.usdPerHour ?? null;
  }

  /**
   * A finished job's share, for its thread: its cluster's nodes × its run time × the node price
   * in force (`2 h 10 min on 8 × Standard_HB120rs_v3: $62.40`). Null when it never ran or no
   * price is known.
   */
  jobLine(job: { clusterId: string; startedAtMs: number | null; endedAtMs: number | null }): string | null {
    if (job.startedAtMs === null || job.endedAtMs === null) return null;
    const cluster = this.#deps.store.getCluster(job.clusterId);
    if (!cluster) return null;
    const priced = this.#deps.store
      .listUsage(job.clusterId)
      .filter((row) => row.usdPerHour !== null && row.startedAtMs <= job.endedAtMs!);
    const usdPerNodeHour = priced.at(-1)?.usdPerHour ?? this.nodeHourly(cluster);
    if (usdPerNodeHour === null) return null;
    const nodes = Math.max(
      1,
      priced.filter((row) => row.stoppedAtMs === null || row.stoppedAtMs > job.startedAtMs!).length ||
        cluster.nodeCount,
    );
    const usd = jobCost({ nodes, startedAtMs: job.startedAtMs, endedAtMs: job.endedAtMs, usdPerNodeHour });
    return `${formatDuration(job.endedAtMs - job.startedAtMs)} on ${nodes} × ${cluster.size}${cluster.spot ? ' (spot)' : ''}: ${formatUsd(usd)}`;
  }

  /** Bounds of the period around now (or `atMs`). */
  period(period: CostPeriod, atMs = this.#deps.clock.nowInMs()): { fromMs: number; toMs: number } {
    return periodAround(atMs, period, this.#deps.timeZone);
  }

  /** A channel's spend in [fromMs, toMs) (up to now for the current period). */
  channelSpend(channelId: string, fromMs: number, toMs: number): CostTotal {
    const end = Math.min(toMs, this.#deps.clock.nowInMs());
    return costBetween(
      this.#deps.store.listUsageBetween(fromMs, end).filter((row) => row.channelId === channelId),
      fromMs,
      end,
    );
  }

  /** Usage rows overlapping [fromMs, toMs), for reports grouped by user, cluster or day. */
  usageBetween(fromMs: number, toMs: number): UsageCostRow[] {
    return this.#deps.store.listUsageBetween(fromMs, Math.min(toMs, this.#deps.clock.nowInMs()));
  }

  /** The team's time zone (reports, keeps until tonight). */
  get timeZone(): string {
    return this.#deps.timeZone;
  }
}
