/**
 * A week of a small team's cluster use, as data, for replaying through the reaper (issue 10):
 * clusters brought up in working hours, jobs and interactive SSH sessions on them with gaps
 * between, clusters downed properly, left up overnight for the next day, or forgotten (never
 * downed: over nights and the weekend). Deterministic: the same seed gives the same week.
 */

const MINUTES_PER_DAY = 24 * 60;

/** One thing a team member does, `atMinute` minutes after Monday 00:00 UTC of the traced week. */
export type TraceEvent =
  | { atMinute: number; kind: 'up'; userId: string; cluster: string; nodes: number }
  | { atMinute: number; kind: 'job'; userId: string; cluster: string; durationInMinutes: number }
  | { atMinute: number; kind: 'session-start'; userId: string; cluster: string; session: string }
  | { atMinute: number; kind: 'session-end'; userId: string; cluster: string; session: string }
  | { atMinute: number; kind: 'down'; userId: string; cluster: string };

/** A cluster of the trace. */
export interface TraceCluster {
  /** Its `/mpi` name, unique in the week. */
  name: string;
  /** Who brings it up, uses it and downs it. */
  ownerId: string;
  nodes: number;
  /** Downed by its owner, or never (forgotten). */
  fate: 'downed' | 'forgotten';
}

/** A generated week. */
export interface TeamTrace {
  seed: number;
  /** The week: 7 days of minutes. */
  lengthInMinutes: number;
  users: readonly string[];
  clusters: readonly TraceCluster[];
  /** Sorted by minute; within a minute ups come first and downs last. */
  events: readonly TraceEvent[];
}

/** A cluster a user is working on, while the trace is built. */
interface Open {
  name: string;
  nodes: number;
  /** The end of its last job or session (a down comes after it). */
  busyUntil: number;
}

const USERS = ['UALICE', 'UBOB', 'UCAROL', 'UDAVE', 'UERIN'];
const ORDER: Record<TraceEvent['kind'], number> = {
  up: 0,
  'session-end': 1,
  'session-start': 2,
  job: 3,
  down: 4,
};

/** mulberry32: a tiny seeded PRNG in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The week of `users` (five by default) drawn from `seed`. */
export function teamTrace(seed = 20_261_130, users: readonly string[] = USERS): TeamTrace {
  const random = mulberry32(seed);
  const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  /** Skewed towards `low`: most jobs and sessions are short, a few are long. */
  const skewed = (low: number, high: number) => Math.round(low * (high / low) ** random());
  const events: TraceEvent[] = [];
  const clusters: TraceCluster[] = [];

  for (const userId of users) {
    const short = userId.slice(1).toLowerCase();
    let open: Open | null = null;
    const up = (atMinute: number): Open => {
      const cluster = { name: `${short}-${clusters.length + 1}`, nodes: between(2, 8), busyUntil: atMinute };
      clusters.push({ name: cluster.name, ownerId: userId, nodes: cluster.nodes, fate: 'forgotten' });
      events.push({ atMinute, kind: 'up', userId, cluster: cluster.name, nodes: cluster.nodes });
      return cluster;
    };
    const down = (cluster: Open, atMinute: number) => {
      events.push({ atMinute, kind: 'down', userId, cluster: cluster.name });
      clusters.find((traced) => traced.name === cluster.name)!.fate = 'downed';
    };
    /** One use starting at `at`: a job, a session, or a session with a job started in it. Returns when the user moves on. */
    const use = (cluster: Open, at: number): number => {
      const roll = random();
      if (roll < 0.45) {
        const durationInMinutes = skewed(10, 360);
        events.push({ atMinute: at, kind: 'job', userId, cluster: cluster.name, durationInMinutes });
        cluster.busyUntil = Math.max(cluster.busyUntil, at + durationInMinutes);
        return at + durationInMinutes; // looks at the results when it ends
      }
      const session = `${cluster.name}-s${at}`;
      const length = skewed(5, 120);
      events.push({ atMinute: at, kind: 'session-start', userId, cluster: cluster.name, session });
      events.push({ atMinute: at + length, kind: 'session-end', userId, cluster: cluster.name, session });
      cluster.busyUntil = Math.max(cluster.busyUntil, at + length);
      if (roll >= 0.8) {
        // Started a job from the terminal before logging out.
        const durationInMinutes = skewed(10, 240);
        const jobAt = at + between(1, length);
        events.push({ atMinute: jobAt, kind: 'job', userId, cluster: cluster.name, durationInMinutes });
        cluster.busyUntil = Math.max(cluster.busyUntil, jobAt + durationInMinutes);
      }
      return at + length;
    };

    for (let day = 0; day < 7; day += 1) {
      const midnight = day * MINUTES_PER_DAY;
      if (day >= 5) {
        // The weekend: now and then someone checks in for a short session.
        if (open && random() < 0.2) use(open, midnight + between(10 * 60, 16 * 60));
        continue;
      }
      const arrive = midnight + between(8 * 60, 10 * 60);
      const leave = midnight + between(17 * 60, 19 * 60);
      const lunch = midnight + between(12 * 60, 13 * 60);
      // Yesterday's cluster stays in use, unless the user starts afresh (and forgets it).
      if (!open || random() < 0.15) open = up(arrive);
      let at = Math.max(arrive, open.busyUntil) + between(1, 10);
      let lunched = false;
      while (at < leave) {
        at = use(open, at);
        if (!lunched && at >= lunch) {
          lunched = true;
          at += between(30, 75);
        }
        // A quick test on a second cluster, sometimes forgotten right after.
        if (random() < 0.08 && at < leave) {
          const test = up(at);
          const end = use(test, at + between(1, 5));
          if (random() < 0.5) down(test, Math.max(end, test.busyUntil) + between(1, 15));
          at = end;
        }
        at += skewed(1, 120);
      }
      const lastDay = day === 4;
      const ranLate = open.busyUntil > leave;
      const roll = random();
      if (!ranLate && roll < (lastDay ? 0.6 : 0.45)) {
        down(open, Math.max(at, open.busyUntil) + between(1, 20));
        open = null;
      } else if (!lastDay && roll > 0.85) {
        open = null; // forgotten: never used again
      } // else left up for tomorrow (on Friday: over the weekend)
    }
  }
  events.sort((a, b) => a.atMinute - b.atMinute || ORDER[a.kind] - ORDER[b.kind]);
  return { seed, lengthInMinutes: 7 * MINUTES_PER_DAY, users, clusters, events };
}

/** Minutes at which the trace uses each cluster (a job or a session starts), ascending. */
export function usesByCluster(trace: TeamTrace): Map<string, number[]> {
  const uses = new Map<string, number[]>();
  for (const event of trace.events) {
    if (event.kind !== 'job' && event.kind !== 'session-start') continue;
    uses.set(event.cluster, [...(uses.get(event.cluster) ?? []), event.atMinute]);
  }
  return uses;
}
