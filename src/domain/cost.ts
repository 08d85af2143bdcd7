/**
 * Cost math (issue 10): money is computed from node usage intervals, never guessed. Each
 * interval runs from a node's allocation to its deallocation or deletion, at the price in force
 * when it started. Pure.
 */

/** One node's billed stretch, as the store keeps it. */
export interface PricedInterval {
  startedAtMs: number;
  /** null while the node still bills. */
  stoppedAtMs: number | null;
  /** USD per node-hour when it started; null when no price was known (counted as 0, flagged). */
  usdPerHour: number | null;
}

/** Node-hours and money of some intervals inside a time window. */
export interface CostTotal {
  nodeHours: number;
  usd: number;
  /** Node-hours with no known price (their money is not in `usd`). */
  unpricedNodeHours: number;
}

const HOUR_IN_MS = 3_600_000;

/** The part of each interval inside [fromMs, toMs) (an open interval runs until `toMs`), summed. */
export function costBetween(intervals: readonly PricedInterval[], fromMs: number, toMs: number): CostTotal {
  let nodeHours = 0;
  let usd = 0;
  let unpricedNodeHours = 0;
  for (const interval of intervals) {
    const start = Math.max(interval.startedAtMs, fromMs);
    const end = Math.min(interval.stoppedAtMs ?? toMs, toMs);
    if (end <= start) continue;
    const hours = (end - start) / HOUR_IN_MS;
    nodeHours += hours;
    if (interval.usdPerHour === null) unpricedNodeHours += hours;
    else usd += hours * interval.usdPerHour;
  }
  return { nodeHours, usd, unpricedNodeHours };
}

/** What intervals bill per hour right now: the open ones at their prices (unpriced count 0). */
export function billingRate(intervals: readonly PricedInterval[]): number {
  return intervals
    .filter((interval) => interval.stoppedAtMs === null)
    .reduce((sum, interval) => sum + (interval.usdPerHour ?? 0), 0);
}

/** A job's share: its cluster's nodes × its run time × the node price. */
export function jobCost(job: {
  nodes: number;
  startedAtMs: number;
  endedAtMs: number;
  usdPerNodeHour: number;
}): number {
  return (job.nodes * Math.max(0, job.endedAtMs - job.startedAtMs) * job.usdPerNodeHour) / HOUR_IN_MS;
}

/** Money as users read it: `$62.40`, `$0.07`, `$1,234.50`; below a cent `<$0.01`. */
export function formatUsd(usd: number): string {
  if (usd > 0 && usd < 0.005) return '<$0.01';
  return `$${usd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** An hourly rate: `$28.80/h`. */
export function formatUsdPerHour(usdPerHour: number): string {
  return `${formatUsd(usdPerHour)}/h`;
}
