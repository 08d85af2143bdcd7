import { billingRate, costBetween, formatUsd, formatUsdPerHour } from '../domain/cost.ts';
import { formatShortDuration } from '../domain/duration.ts';
import { decideIdle, type IdlePolicy } from '../domain/idle.ts';
import type { ClusterRow, Store } from '../ports/store.ts';

/**
 * A cluster's money and idle clock in a few words, for its card, `/mpi status` and App Home:
 * `$7.20/h, $12.40 so far` (live) or `$12.40 in all` (ended). Null when nothing was billed.
 */
export function costLine(store: Store, cluster: ClusterRow, nowInMs: number): string | null {
  const usage = store.listUsage(cluster.id);
  if (usage.length === 0) return null;
  const total = costBetween(usage, 0, nowInMs);
  const hourly = billingRate(usage);
  const unpriced = total.unpricedNodeHours > 0 ? ' (some hours unpriced)' : '';
  if (cluster.state === 'deleted' || cluster.state === 'failed')
    return `${formatUsd(total.usd)} in all${unpriced}`;
  return `${hourly > 0 ? `${formatUsdPerHour(hourly)}, ` : 'not billing, '}${formatUsd(total.usd)} so far${unpriced}`;
}

/**
 * Where a ready cluster stands with the reaper: in use, kept until when, when the idle warning
 * comes, or when it will be reaped. Null when the reaper is off or has not seen it yet.
 */
export function idleLine(
  store: Store,
  cluster: ClusterRow,
  policy: IdlePolicy | null,
  nowInMs: number,
): string | null {
  if (!policy || cluster.state !== 'ready') return null;
  const watch = store.getIdleWatch(cluster.id);
  if (!watch) return null;
  if (store.listUnfinishedJobs(cluster.id).length > 0) return 'in use (a job runs or waits)';
  const decision = decideIdle(
    {
      nowMs: nowInMs,
      busy: false,
      lastActiveAtMs: watch.lastActiveAtMs,
      keepUntilMs: watch.keepUntilMs,
      warnedAtMs: watch.warnedAtMs,
    },
    policy,
  );
  const kept = watch.keepUntilMs !== null && watch.keepUntilMs > nowInMs;
  switch (decision.kind) {
    case 'waiting':
      return `${kept ? `kept until ${new Date(watch.keepUntilMs!).toISOString().slice(11, 16)} UTC; ` : ''}idle warning in ${formatShortDuration(decision.warnAtMs - nowInMs)} unless used`;
    case 'grace':
      return `idle: stopped in ${formatShortDuration(decision.reapAtMs - nowInMs)} unless used or kept`;
    case 'warn':
    case 'reap':
      return 'idle: the reaper acts at its next tick unless it is used or kept';
    default:
      return null;
  }
}
