/**
 * The idle rule (issue 10): when a cluster counts as idle, when to warn, when to reap. Pure:
 * the reaper gathers the facts and acts on the decision; tests drive it with a fake clock.
 */

/** The settings of the rule. */
export interface IdlePolicy {
  /** A cluster with no job and no user session this long is idle: it gets a warning. */
  idleTimeoutInMs: number;
  /** After the warning, this long without activity or a keep, and it is reaped. */
  graceInMs: number;
}

/** What the reaper knows of one ready cluster at `nowMs`. */
export interface IdleFacts {
  nowMs: number;
  /** A job runs or waits on it, or a user has an interactive SSH session on a node, right now. */
  busy: boolean;
  /** The last time it was busy, or became ready (epoch ms). */
  lastActiveAtMs: number;
  /** Kept from reaping until then (a Keep button or `/mpi keep`); null when not kept. */
  keepUntilMs: number | null;
  /** When the outstanding idle warning was posted; null when there is none. */
  warnedAtMs: number | null;
}

export type IdleDecision =
  | { kind: 'busy' } // in use now: nothing to do
  | { kind: 'withdraw'; why: 'activity' | 'kept' } // the outstanding warning no longer holds
  | { kind: 'waiting'; warnAtMs: number } // idle, not yet for long enough
  | { kind: 'warn'; reapAtMs: number } // idle for the timeout: warn now
  | { kind: 'grace'; reapAtMs: number } // warned; reaped at `reapAtMs` unless something happens
  | { kind: 'reap'; idleSinceMs: number }; // warned, and the grace period passed without activity

/** The decision for one cluster. A busy cluster is never reaped, whatever else holds. */
export function decideIdle(facts: IdleFacts, policy: IdlePolicy): IdleDecision {
  const { nowMs, busy, lastActiveAtMs, keepUntilMs, warnedAtMs } = facts;
  const kept = keepUntilMs !== null && keepUntilMs > nowMs;
  if (warnedAtMs !== null) {
    if (busy || lastActiveAtMs > warnedAtMs) return { kind: 'withdraw', why: 'activity' };
    if (kept) return { kind: 'withdraw', why: 'kept' };
    const reapAtMs = warnedAtMs + policy.graceInMs;
    return nowMs >= reapAtMs ? { kind: 'reap', idleSinceMs: idleSince(facts) } : { kind: 'grace', reapAtMs };
  }
  if (busy) return { kind: 'busy' };
  const warnAtMs = idleSince(facts) + policy.idleTimeoutInMs;
  return nowMs >= warnAtMs
    ? { kind: 'warn', reapAtMs: nowMs + policy.graceInMs }
    : { kind: 'waiting', warnAtMs };
}

/** Since when the cluster has been idle: its last activity, or the end of a keep after it. */
export function idleSince(facts: Pick<IdleFacts, 'lastActiveAtMs' | 'keepUntilMs'>): number {
  return Math.max(facts.lastActiveAtMs, facts.keepUntilMs ?? Number.NEGATIVE_INFINITY);
}

/**
 * A running job that printed nothing and used no CPU for `stuckAfterInMs` looks stuck: the bot
 * asks in its thread (once), and never reaps the cluster for it.
 */
export function looksStuck(job: {
  nowMs: number;
  /** Last time its log grew (or it started). */
  lastOutputAtMs: number;
  /** Last time its processes' CPU time grew (or it started). */
  lastCpuAtMs: number;
  stuckAfterInMs: number;
}): boolean {
  return job.nowMs - Math.max(job.lastOutputAtMs, job.lastCpuAtMs) >= job.stuckAfterInMs;
}

/** The end of a keep: `forMs` from now, capped at `maxInMs`. Returns the time and whether it was capped. */
export function keepUntil(
  nowMs: number,
  forMs: number,
  maxInMs: number,
): { untilMs: number; capped: boolean } {
  return { untilMs: nowMs + Math.min(forMs, maxInMs), capped: forMs > maxInMs };
}
