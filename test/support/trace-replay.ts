import { z } from 'zod';
import { COST_ENV_SHAPE, pickCost } from '../../src/config/cost-config.ts';
import type { ClusterState } from '../../src/domain/cluster.ts';
import { costBetween } from '../../src/domain/cost.ts';
import type { ReapRow } from '../../src/ports/idle-store.ts';
import type { UsageRow } from '../../src/ports/store.ts';
import { REAPER_ACTOR, type ReaperPolicy } from '../../src/services/reaper.ts';
import { makeHarness } from '../fakes/harness.ts';
import { usesByCluster, type TeamTrace, type TraceEvent } from './team-trace.ts';

const MINUTE_IN_MS = 60_000;
const HOUR_IN_MS = 3_600_000;

/** Monday 30 November 2026, 00:00 UTC: the traced week starts here (the harness clock is before it). */
export const TRACE_START_MS = Date.UTC(2026, 10, 30);

/** The reaper's defaults, as config gives them with no MPIBOX_* setting. */
export const DEFAULT_REAPER_POLICY: ReaperPolicy = pickCost(z.object(COST_ENV_SHAPE).parse({})).reaper;

/** One traced cluster, minute by minute. */
export interface ClusterTimeline {
  name: string;
  ownerId: string;
  nodes: number;
  /** Per minute of the week: 1 when a job ran or waited on it or a user had a session open. */
  busy: Uint8Array;
  /** Per minute: its state once that minute's events and reaper tick were done; null before `up`. */
  state: (ClusterState | null)[];
}

/** A maximal stretch of a ready cluster with no job and no session. */
export interface IdleEpisode {
  cluster: string;
  nodes: number;
  /** Billed idle stretch: from the minute it went idle to the minute it was used again, or to when billing stopped (reap, down). */
  fromMs: number;
  toMs: number;
  endedBy: 'use' | 'reap' | 'down' | 'end';
  /** The end of the latest keep asked for during the episode (the idle clock restarts there); null when none. */
  keptUntilMs: number | null;
  nodeHours: number;
  usd: number;
}

/** What a replay saw and cost. */
export interface ReplayResult {
  policy: ReaperPolicy | null;
  startMs: number;
  endMs: number;
  timelines: Map<string, ClusterTimeline>;
  /** Sessions as the replay opened and closed them (fake-clock ms; null: still open at the end). */
  sessions: { cluster: string; session: string; fromMs: number; toMs: number | null }[];
  /** Jobs as the store recorded them. */
  jobs: { cluster: string; jobId: number; submittedAtMs: number; endedAtMs: number | null }[];
  reaps: (ReapRow & { cluster: string })[];
  warnings: number;
  keeps: { cluster: string; atMs: number; untilMs: number }[];
  /** `/mpi up` of a stopped cluster, because the trace used it again. */
  restarts: number;
  /** Every node's billed time in the week (usage intervals). */
  nodeHours: number;
  usd: number;
  idleNodeHours: number;
  idleUsd: number;
  episodes: IdleEpisode[];
  /** WARN and ERROR log lines of the bot (messages only). */
  problems: string[];
}

/**
 * Replays `trace` through every real service on the harness's fake clock, one minute at a
 * time; with `policy` the reaper ticks once a minute, without it there is no reaper. A
 * cluster the reaper stopped is started again with `/mpi up` when the trace uses it again.
 * Keeping (the "Keep 1 h" button) is modelled as the owner who gets a warning and will use
 * the cluster again within the hour pressing it.
 */
export async function replayTrace(trace: TeamTrace, policy: ReaperPolicy | null): Promise<ReplayResult> {
  const h = makeHarness({
    maxTotalNodes: 10_000, // forgotten clusters pile up without reaping: no quota refusals
    jobsPerCluster: 8, // trace jobs never wait behind each other
    ...(policy ? { reaperPolicy: policy } : {}),
  });
  h.clock.advance(TRACE_START_MS - h.clock.nowInMs());
  const length = trace.lengthInMinutes;
  const timelines = new Map<string, ClusterTimeline>();
  for (const cluster of trace.clusters)
    timelines.set(cluster.name, {
      name: cluster.name,
      ownerId: cluster.ownerId,
      nodes: cluster.nodes,
      busy: new Uint8Array(length),
      state: new Array<ClusterState | null>(length).fill(null),
    });
  const byMinute = new Map<number, TraceEvent[]>();
  for (const event of trace.events) {
    if (event.atMinute < length)
      byMinute.set(event.atMinute, [...(byMinute.get(event.atMinute) ?? []), event]);
  }
  const nextUses = usesByCluster(trace);
  const ids = new Map<string, string>();
  const id = (name: string) => ids.get(name)!;
  /** Open sessions and running jobs (id → minute started) per cluster. */
  const open = new Map<string, { sessions: Set<string>; jobs: Map<number, number> }>();
  const jobEnds = new Map<number, { cluster: string; jobId: number }[]>();
  const sessions: ReplayResult['sessions'] = [];
  const keeps: ReplayResult['keeps'] = [];
  const handledWarnings = new Set<string>();
  let restarts = 0;

  const waitUntil = async (check: () => boolean, what: string) => {
    for (let round = 0; round < 10_000; round += 1) {
      if (check()) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
    throw new Error(`replay: never happened: ${what}`);
  };
  const command = async (userId: string, text: string) => {
    const reply = await h.run(userId, text);
    await h.settle();
    return reply.message.text;
  };
  /** What the fake nodes report for a cluster: its open sessions, its jobs' CPU growing each minute. */
  const report = (cluster: string, minute: number) => {
    const now = open.get(cluster)!;
    h.provider.activityOf.set(id(cluster), {
      sessions: [...now.sessions].map((terminal) => ({ user: 'mpi', node: null, terminal })),
      jobCpuTicks: new Map([...now.jobs].map(([jobId, from]) => [jobId, (minute - from + 1) * 6000])),
    });
  };
  /** A user about to use a cluster the reaper stopped starts it again, as the notice tells them. */
  const ensureReady = async (event: TraceEvent) => {
    if (h.store.getCluster(id(event.cluster))?.state !== 'stopped') return;
    restarts += 1;
    const nodes = timelines.get(event.cluster)!.nodes;
    await command(event.userId, `/mpi up ${nodes} ${event.cluster}`);
  };

  const apply = async (event: TraceEvent, minute: number) => {
    switch (event.kind) {
      case 'up': {
        await command(event.userId, `/mpi up ${event.nodes} ${event.cluster}`);
        ids.set(event.cluster, h.store.findLiveClusterByName(event.cluster)!.id);
        open.set(event.cluster, { sessions: new Set(), jobs: new Map() });
        return;
      }
      case 'job': {
        await ensureReady(event);
        const text = await command(event.userId, `/mpi run ${event.cluster} -- ./job`);
        const jobId = Number(/Job #(\d+)/.exec(text)?.[1] ?? Number.NaN);
        if (!Number.isInteger(jobId)) throw new Error(`replay: job not accepted: ${text}`);
        await waitUntil(() => h.store.getJob(jobId)?.pid != null, `job #${jobId} started`);
        open.get(event.cluster)!.jobs.set(jobId, minute);
        const end = minute + event.durationInMinutes;
        jobEnds.set(end, [...(jobEnds.get(end) ?? []), { cluster: event.cluster, jobId }]);
        return report(event.cluster, minute);
      }
      case 'session-start': {
        await ensureReady(event);
        open.get(event.cluster)!.sessions.add(event.session);
        sessions.push({
          cluster: event.cluster,
          session: event.session,
          fromMs: h.clock.nowInMs(),
          toMs: null,
        });
        return report(event.cluster, minute);
      }
      case 'session-end': {
        open.get(event.cluster)!.sessions.delete(event.session);
        const started = sessions.find((session) => session.session === event.session);
        if (started) started.toMs = h.clock.nowInMs();
        return report(event.cluster, minute);
      }
      case 'down':
        await command(event.userId, `/mpi down ${event.cluster} --yes`);
        return;
    }
  };

  /** The owner of a warned cluster who will be back within the hour presses "Keep 1 h". */
  const keepIfComingBack = async (minute: number) => {
    for (const [name, clusterId] of ids) {
      const warnedAtMs = h.store.getIdleWatch(clusterId)?.warnedAtMs ?? null;
      if (warnedAtMs === null || handledWarnings.has(`${clusterId} ${warnedAtMs}`)) continue;
      handledWarnings.add(`${clusterId} ${warnedAtMs}`);
      const next = nextUses.get(name)?.find((at) => at > minute);
      if (next === undefined || next - minute > 60) continue;
      await h.dispatcher.action(h.actor(timelines.get(name)!.ownerId), 'cluster-keep', `${clusterId} 1h`);
      await h.settle();
      const untilMs = h.store.getIdleWatch(clusterId)?.keepUntilMs ?? h.clock.nowInMs();
      keeps.push({ cluster: name, atMs: h.clock.nowInMs(), untilMs });
    }
  };

  for (let minute = 0; minute < length; minute += 1) {
    const startOfMinute = TRACE_START_MS + minute * MINUTE_IN_MS;
    if (h.clock.nowInMs() < startOfMinute) h.clock.advance(startOfMinute - h.clock.nowInMs());
    for (const { cluster, jobId } of jobEnds.get(minute) ?? []) {
      h.runner.end(jobId, { kind: 'exited', exitCode: 0 });
      await waitUntil(() => h.store.getJob(jobId)?.endedAtMs != null, `job #${jobId} ended`);
      open.get(cluster)!.jobs.delete(jobId);
      report(cluster, minute);
    }
    for (const event of byMinute.get(minute) ?? []) await apply(event, minute);
    for (const [name, now] of open) if (now.jobs.size > 0) report(name, minute);
    await h.reaper?.runOnce();
    await h.settle(); // card refreshes and other timers the clock fired this minute, too
    if (h.reaper) await keepIfComingBack(minute);
    for (const [name, now] of open) {
      const timeline = timelines.get(name)!;
      timeline.busy[minute] = now.sessions.size > 0 || now.jobs.size > 0 ? 1 : 0;
      timeline.state[minute] = h.store.getCluster(id(name))?.state ?? null;
    }
  }

  const endMs = TRACE_START_MS + length * MINUTE_IN_MS;
  const total = costBetween(h.store.listUsageBetween(TRACE_START_MS, endMs), TRACE_START_MS, endMs);
  const nameOf = new Map([...ids].map(([name, clusterId]) => [clusterId, name]));
  const usage = new Map([...ids].map(([name, clusterId]) => [name, h.store.listUsage(clusterId)]));
  const episodes = [...timelines.values()].flatMap((timeline) =>
    idleEpisodes(timeline, usage.get(timeline.name) ?? [], keeps),
  );
  return {
    policy,
    startMs: TRACE_START_MS,
    endMs,
    timelines,
    sessions,
    jobs: [...ids].flatMap(([name, clusterId]) =>
      h.store.listJobs(clusterId, 10_000).map((job) => ({
        cluster: name,
        jobId: job.id,
        submittedAtMs: job.submittedAtMs,
        endedAtMs: job.endedAtMs,
      })),
    ),
    reaps: h.store
      .listReapsBetween(TRACE_START_MS, endMs + HOUR_IN_MS)
      .map((reap) => ({ ...reap, cluster: nameOf.get(reap.clusterId) ?? reap.clusterId })),
    warnings: h.store
      .listAudit(1_000_000)
      .filter((row) => row.userId === REAPER_ACTOR && row.text.startsWith('[reaper warn')).length,
    keeps,
    restarts,
    nodeHours: total.nodeHours,
    usd: total.usd,
    idleNodeHours: episodes.reduce((sum, episode) => sum + episode.nodeHours, 0),
    idleUsd: episodes.reduce((sum, episode) => sum + episode.usd, 0),
    episodes,
    problems: h.logger.lines
      .filter((line) => line.level === 'warn' || line.level === 'error')
      .map((line) => line.message),
  };
}

/** The idle episodes of one cluster, each billed at its usage price from when it went idle to when it stopped being so. */
function idleEpisodes(
  timeline: ClusterTimeline,
  usage: readonly UsageRow[],
  keeps: ReplayResult['keeps'],
): IdleEpisode[] {
  const episodes: IdleEpisode[] = [];
  const length = timeline.busy.length;
  const idle = (minute: number) => timeline.state[minute] === 'ready' && timeline.busy[minute] === 0;
  const usdPerNodeHour = usage.find((row) => row.usdPerHour !== null)?.usdPerHour ?? 0;
  for (let minute = 0; minute < length; minute += 1) {
    if (!idle(minute)) continue;
    const first = minute;
    while (minute < length && idle(minute)) minute += 1;
    const after = timeline.state[minute] ?? null;
    const endedBy: IdleEpisode['endedBy'] =
      minute >= length ? 'end' : after === 'ready' ? 'use' : after === 'stopped' ? 'reap' : 'down';
    const fromMs = TRACE_START_MS + first * MINUTE_IN_MS;
    let toMs = TRACE_START_MS + minute * MINUTE_IN_MS;
    if (endedBy === 'reap' || endedBy === 'down') {
      // Billing stopped during the tick of the minute it was seen stopped or deleted.
      const stops = usage
        .map((row) => row.stoppedAtMs)
        .filter((at): at is number => at !== null && at >= fromMs && at < toMs + MINUTE_IN_MS);
      if (stops.length > 0) toMs = Math.min(...stops);
    }
    const kept = keeps.filter(
      (keep) => keep.cluster === timeline.name && keep.atMs >= fromMs && keep.atMs < toMs,
    );
    const nodeHours = (timeline.nodes * (toMs - fromMs)) / HOUR_IN_MS;
    episodes.push({
      cluster: timeline.name,
      nodes: timeline.nodes,
      fromMs,
      toMs,
      endedBy,
      keptUntilMs: kept.length > 0 ? Math.max(...kept.map((keep) => keep.untilMs)) : null,
      nodeHours,
      usd: nodeHours * usdPerNodeHour,
    });
  }
  return episodes;
}
