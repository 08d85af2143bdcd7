/** Who may change a cluster: its owner, or an admin. Always by user id, never by name. */
export function canModifyCluster(
  userId: string,
  cluster: { ownerId: string },
  adminIds: readonly string[],
): boolean {
  return cluster.ownerId === userId || adminIds.includes(userId);
}

/** Human duration for ages and run times: `45 s`, `12 min`, `3 h 05 min`, `2 d 4 h`. */
export function formatDuration(durationInMs: number): string {
  const seconds = Math.max(0, Math.floor(durationInMs / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** What one channel may do; a channel without an entry may do everything within the global limits. */
export interface ChannelPolicy {
  /** Verbs allowed (`up`, `run`, `down`, `key`…); absent means all. `help` is always allowed. */
  verbs?: string[];
  /** Largest node count for `up`/`resize` in this channel. */
  maxNodes?: number;
}

/**
 * Checks a verb (and node count, for up/resize) against a channel's policy; returns why it
 * is refused, or null. Commands and button clicks go through the same check.
 */
export function channelRefusal(
  policy: ChannelPolicy | undefined,
  verb: string,
  nodes: number | null,
): string | null {
  if (!policy || verb === 'help') return null;
  if (policy.verbs && !policy.verbs.includes(verb)) {
    return `\`/mpi ${verb}\` is not allowed in this channel (allowed: ${policy.verbs.join(', ') || 'nothing'}).`;
  }
  if (policy.maxNodes !== undefined && nodes !== null && nodes > policy.maxNodes) {
    return `This channel allows at most ${policy.maxNodes} nodes per cluster; you asked for ${nodes}.`;
  }
  return null;
}
