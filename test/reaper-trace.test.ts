import { beforeAll, describe, expect, it } from 'vitest';
import { teamTrace } from './support/team-trace.ts';
import { DEFAULT_REAPER_POLICY, replayTrace, type ReplayResult } from './support/trace-replay.ts';

const MIN = 60_000;
/** One reaper tick (a minute), and a minute more for the seconds the chat pacer's sleeps move the fake clock. */
const SLACK_IN_MS = 2 * MIN;
const policy = DEFAULT_REAPER_POLICY;

/**
 * Issue 10's acceptance: a week of five people's jobs, SSH sessions and forgotten clusters,
 * replayed through the real reaper (and every other service) on a fake clock, against the
 * same week with no reaper.
 */
describe('Reaper on a week of team activity', () => {
  const trace = teamTrace();
  let reaping: ReplayResult;
  let without: ReplayResult;

  beforeAll(async () => {
    reaping = await replayTrace(trace, policy);
    without = await replayTrace(trace, null);
  });

  it('is a week worth replaying: forgotten clusters, long jobs, clusters used again after a stop', () => {
    const longJobs = trace.events.filter(
      (event) =>
        event.kind === 'job' && event.durationInMinutes * MIN > policy.idleTimeoutInMs + policy.graceInMs,
    );

    expect(trace.clusters.filter((cluster) => cluster.fate === 'forgotten').length).toBeGreaterThan(2);
    expect(longJobs.length).toBeGreaterThan(10);
    expect(reaping.reaps.length).toBeGreaterThan(10);
    expect(reaping.restarts).toBeGreaterThan(0);
    expect(reaping.keeps.length).toBeGreaterThan(0);
    expect([...reaping.problems, ...without.problems]).toEqual([]);
  });

  it('never reaps a cluster while a job runs or waits on it or a user has a session on it', () => {
    const busyReaps = reaping.reaps.filter((reap) => {
      const minute = Math.floor((reap.atMs - reaping.startMs) / MIN);
      const job = reaping.jobs.find(
        (row) =>
          row.cluster === reap.cluster &&
          row.submittedAtMs <= reap.atMs &&
          (row.endedAtMs === null || row.endedAtMs > reap.atMs),
      );
      const session = reaping.sessions.find(
        (row) =>
          row.cluster === reap.cluster && row.fromMs <= reap.atMs && (row.toMs ?? Infinity) > reap.atMs,
      );
      return reaping.timelines.get(reap.cluster)?.busy[minute] !== 0 || job || session;
    });

    expect(busyReaps).toEqual([]);
  });

  it('bills each idle episode at most the idle timeout and the grace (and a tick of slack), counted from a keep’s end', () => {
    const limitInMs = policy.idleTimeoutInMs + policy.graceInMs + SLACK_IN_MS;

    const over = reaping.episodes.filter(
      (episode) => episode.toMs - Math.max(episode.fromMs, episode.keptUntilMs ?? 0) > limitInMs,
    );

    expect(over).toEqual([]);
    expect(reaping.episodes.filter((episode) => episode.endedBy === 'reap')).toHaveLength(
      reaping.reaps.length,
    );
    // Without the reaper, the same week has episodes far longer (nights, the weekend).
    expect(without.episodes.some((episode) => episode.toMs - episode.fromMs > 12 * 60 * MIN)).toBe(true);
  });

  it('cuts idle node-hours and cost against the same week without reaping, for the same work', () => {
    const busyNodeHours = (result: ReplayResult) => result.nodeHours - result.idleNodeHours;

    expect(reaping.idleNodeHours).toBeLessThan(without.idleNodeHours / 2);
    expect(reaping.usd).toBeLessThan(without.usd);
    expect(busyNodeHours(reaping)).toBeCloseTo(busyNodeHours(without), 0);
  });
});
