import { formatUsd } from '../../src/domain/cost.ts';
import { formatShortDuration } from '../../src/domain/duration.ts';
import { teamTrace } from '../../test/support/team-trace.ts';
import { DEFAULT_REAPER_POLICY, replayTrace } from '../../test/support/trace-replay.ts';

/**
 * Issue 10: a simulated week of five people's jobs, SSH sessions and forgotten clusters,
 * replayed through the real reaper on a fake clock (default policy), against the same week
 * with no reaper. Idle: allocated, with no job and no SSH session.
 */
export async function benchReaperTrace(): Promise<void> {
  const trace = teamTrace();
  const policy = DEFAULT_REAPER_POLICY;
  const started = performance.now();
  const reaping = await replayTrace(trace, policy);
  const without = await replayTrace(trace, null);
  const seconds = (performance.now() - started) / 1000;

  const count = (kind: string) => trace.events.filter((event) => event.kind === kind).length;
  const forgotten = trace.clusters.filter((cluster) => cluster.fate === 'forgotten').length;
  const row = (label: string, off: string, on: string) =>
    console.log(`  ${label.padEnd(22)}${off.padStart(16)}${on.padStart(16)}`);
  const hours = (value: number) => value.toFixed(1);
  const saving = without.usd - reaping.usd;
  /** The longest idle stretch, counted from the end of a keep (the reaper's idle clock). */
  const longest = (result: typeof reaping) =>
    Math.max(
      ...result.episodes.map((episode) => episode.toMs - Math.max(episode.fromMs, episode.keptUntilMs ?? 0)),
    );
  console.log(
    `reaper on a simulated week (seed ${trace.seed}): ${trace.users.length} users, ${trace.clusters.length} clusters ` +
      `(${forgotten} never downed), ${count('job')} jobs, ${count('session-start')} SSH sessions; ` +
      `idle timeout ${formatShortDuration(policy.idleTimeoutInMs)} + grace ${formatShortDuration(policy.graceInMs)}, ` +
      `action ${policy.action}; replayed in ${seconds.toFixed(1)} s`,
  );
  row('', 'without reaping', 'with reaping');
  row('node-hours', hours(without.nodeHours), hours(reaping.nodeHours));
  row('idle node-hours', hours(without.idleNodeHours), hours(reaping.idleNodeHours));
  row('cost', formatUsd(without.usd), formatUsd(reaping.usd));
  row('idle cost', formatUsd(without.idleUsd), formatUsd(reaping.idleUsd));
  row('longest idle stretch', formatShortDuration(longest(without)), formatShortDuration(longest(reaping)));
  console.log(`  saving: ${formatUsd(saving)} (${((saving / without.usd) * 100).toFixed(1)} % of the cost)`);
  console.log(
    `  reaper: ${reaping.warnings} warnings, ${reaping.reaps.length} reaps, ${reaping.keeps.length} keeps; ` +
      `${reaping.restarts} clusters started again with /mpi up`,
  );
}
