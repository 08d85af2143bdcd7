import { costBetween, formatUsd } from '../domain/cost.ts';
import type { Block, Message } from '../ports/chat.ts';
import type { ReapRow } from '../ports/idle-store.ts';
import type { UsageCostRow } from '../ports/store.ts';

/** Most lines per table in a report: Slack caps a section at 3,000 characters. */
const MAX_LINES = 15;

/** What a cost report says, computed from usage and reaps (pure). */
export interface CostReportFacts {
  /** `this week (Mon 30 Nov – now)`: the period in words. */
  title: string;
  fromMs: number;
  toMs: number;
  /** Intervals overlapping the period (and the previous one, for the change). */
  usage: readonly UsageCostRow[];
  /** The previous period of the same length, for the change. */
  previous: { fromMs: number; toMs: number; label: string };
  /** Reaps in the period, and every usage interval of the reaped clusters after them. */
  reaps: readonly ReapRow[];
  /** Cluster sizes by id, for the by-cluster lines. */
  sizes: ReadonlyMap<string, string>;
}

/** Totals by key, biggest first. */
function byKey(
  usage: readonly UsageCostRow[],
  key: (row: UsageCostRow) => string,
  fromMs: number,
  toMs: number,
): { key: string; usd: number; nodeHours: number }[] {
  const groups = new Map<string, UsageCostRow[]>();
  for (const row of usage) groups.set(key(row), [...(groups.get(key(row)) ?? []), row]);
  return [...groups]
    .map(([name, rows]) => ({ key: name, ...costBetween(rows, fromMs, toMs) }))
    .filter((total) => total.nodeHours > 0)
    .sort((a, b) => b.usd - a.usd || a.key.localeCompare(b.key));
}

/**
 * Idle node-hours the reaper kept from billing, and their money: from each reap until the
 * cluster billed again (it was started), or the end of the period.
 */
export function reapSavings(
  reaps: readonly ReapRow[],
  usage: readonly UsageCostRow[],
  toMs: number,
): { clusters: number; nodeHours: number; usd: number } {
  let nodeHours = 0;
  let usd = 0;
  for (const reap of reaps) {
    const again = usage
      .filter((row) => row.clusterId === reap.clusterId && row.startedAtMs >= reap.atMs)
      .reduce((first, row) => Math.min(first, row.startedAtMs), toMs);
    const hours = Math.max(0, Math.min(again, toMs) - reap.atMs) / 3_600_000;
    nodeHours += hours * reap.nodeCount;
    usd += hours * reap.usdPerHour;
  }
  return { clusters: new Set(reaps.map((reap) => reap.clusterId)).size, nodeHours, usd };
}

/** Lines of a table, capped, with what was left out said. */
function capped(lines: string[]): string {
  if (lines.length <= MAX_LINES) return lines.join('\n');
  return [...lines.slice(0, MAX_LINES), `…and ${lines.length - MAX_LINES} more`].join('\n');
}

/** The report as a message: totals, the change, by user, by cluster, what reaping saved. */
export function costReportMessage(facts: CostReportFacts): Message {
  const { fromMs, toMs, usage, previous } = facts;
  const now = costBetween(usage, fromMs, toMs);
  const before = costBetween(usage, previous.fromMs, previous.toMs);
  const change =
    before.usd > 0
      ? ` (${now.usd >= before.usd ? '+' : '−'}${Math.round((Math.abs(now.usd - before.usd) / before.usd) * 100)}% on ${previous.label}: ${formatUsd(before.usd)})`
      : ` (${previous.label}: ${formatUsd(before.usd)})`;
  const headline = `Cost ${facts.title}: ${formatUsd(now.usd)} for ${now.nodeHours.toFixed(1)} node-hours${change}`;
  const users = byKey(usage, (row) => row.ownerId, fromMs, toMs).map(
    (total) => `<@${total.key}>  ${formatUsd(total.usd)}  (${total.nodeHours.toFixed(1)} node-h)`,
  );
  const clusters = byKey(usage, (row) => `${row.clusterName}\u0000${row.clusterId}`, fromMs, toMs).map(
    (total) => {
      const [name, id] = total.key.split('\u0000');
      return `${name}  ${facts.sizes.get(id ?? '') ?? ''}  ${formatUsd(total.usd)}  (${total.nodeHours.toFixed(1)} node-h)`;
    },
  );
  const saved = reapSavings(facts.reaps, usage, toMs);
  const reaped =
    saved.clusters === 0
      ? 'Reaping: no idle cluster had to be stopped.'
      : `Reaping: ${saved.clusters} idle cluster(s) stopped; ${saved.nodeHours.toFixed(1)} idle node-hours not billed, which saved ${formatUsd(saved.usd)}.`;
  const unpriced =
    now.unpricedNodeHours > 0
      ? [`${now.unpricedNodeHours.toFixed(1)} node-hours have no known price and count as $0.`]
      : [];
  const blocks: Block[] = [
    { kind: 'header', text: `Cost ${facts.title}`.slice(0, 150) },
    { kind: 'text', text: headline },
    {
      kind: 'text',
      text: users.length > 0 ? `By user:\n${capped(users)}` : 'No cluster billed in this period.',
    },
  ];
  if (clusters.length > 0) blocks.push({ kind: 'text', text: `By cluster:\n${capped(clusters)}` });
  blocks.push({ kind: 'context', text: [reaped, ...unpriced].join(' ') });
  return { text: [headline, reaped].join('\n'), blocks };
}
