import fs from 'node:fs';
import path from 'node:path';
import { costBetween } from '../domain/cost.ts';
import { localDay, localMidnight, wallClock } from '../domain/time-zone.ts';
import type { ChartRenderer, DailySpend } from '../ports/chart.ts';
import type { Chat } from '../ports/chat.ts';
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import type { Store, UsageCostRow } from '../ports/store.ts';
import type { Actor, Reply } from './actor.ts';
import type { CostPeriod, CostService } from './cost-service.ts';
import { costReportMessage } from './cost-report-text.ts';

export interface CostReportsDeps {
  store: Store;
  costs: CostService;
  chat: Chat;
  clock: Clock;
  logger: Logger;
  /** Draws the daily-spend chart of the scheduled report, kept in `dir` (a week's PNG each, tens of KB); null: the report goes without it. */
  charts: { renderer: ChartRenderer; dir: string } | null;
  /** Where the scheduled report goes (MPIBOX_REPORT_CHANNEL); null: nowhere. */
  reportChannelId: string | null;
}

const DAY_IN_MS = 86_400_000;
const NAMES: Record<CostPeriod, { now: string; before: string }> = {
  day: { now: 'today', before: 'yesterday' },
  week: { now: 'this week', before: 'last week' },
  month: { now: 'this month', before: 'last month' },
};

/**
 * Cost reports: `/mpi cost [today|week|month]` for the caller's channel, and the scheduled
 * report of the last full week for the whole team, with a chart of daily spend by user.
 */
export class CostReports {
  readonly #deps: CostReportsDeps;

  constructor(deps: CostReportsDeps) {
    this.#deps = deps;
  }

  /** The current period so far, for the caller's channel. */
  onDemand(actor: Actor, period: CostPeriod): Reply {
    const { costs, clock } = this.#deps;
    const nowMs = clock.nowInMs();
    const { fromMs } = costs.period(period, nowMs);
    const previous = costs.period(period, fromMs - 1);
    const inChannel = (row: UsageCostRow) => row.channelId === actor.channelId;
    return {
      visibility: 'ephemeral',
      message: this.#message(
        `${NAMES[period].now} in this channel`,
        fromMs,
        nowMs,
        previous,
        NAMES[period].before,
        inChannel,
      ),
    };
  }

  /**
   * The scheduled report: the last full Monday-to-Sunday week before now, every channel, posted
   * to the report channel with the chart uploaded into its thread. Resolves false when there is
   * no report channel.
   */
  async scheduled(): Promise<boolean> {
    const { costs, clock, chat, reportChannelId, logger } = this.#deps;
    if (!reportChannelId) return false;
    const thisWeek = costs.period('week', clock.nowInMs());
    const week = costs.period('week', thisWeek.fromMs - 1);
    const previous = costs.period('week', week.fromMs - 1);
    const title = `last week (${localDay(week.fromMs, costs.timeZone)} to ${localDay(week.toMs - 1, costs.timeZone)})`;
    const report = this.#message(title, week.fromMs, week.toMs, previous, 'the week before', () => true);
    const ref = await chat.post(reportChannelId, report);
    const charts = this.#deps.charts;
    if (!charts) return true;
    try {
      const png = await this.#chart(charts.renderer, week.fromMs, week.toMs, title);
      fs.mkdirSync(charts.dir, { recursive: true });
      const name = `daily-spend-${localDay(week.fromMs, costs.timeZone)}.png`;
      const file = path.join(charts.dir, name);
      fs.writeFileSync(file, png);
      await chat.attach(ref, { name, title: `Daily spend by user, ${title}`, path: file });
    } catch (error) {
      logger.warn('cost report chart failed', { error });
    }
    return true;
  }

  /** The chart of the period: every day, each user's spend that day. */
  async #chart(renderer: ChartRenderer, fromMs: number, toMs: number, title: string): Promise<Buffer> {
    const { costs, store } = this.#deps;
    const zone = costs.timeZone;
    const usage = costs.usageBetween(fromMs, toMs);
    const days: string[] = [];
    const spend: DailySpend[] = [];
    const users = [...new Set(usage.map((row) => row.ownerId))];
    for (let dayStart = fromMs; dayStart < toMs;) {
      const { year, month, day } = wallClock(dayStart, zone);
      const dayEnd = Math.min(localMidnight(year, month, day + 1, zone), toMs);
      const label = localDay(dayStart, zone);
      days.push(label);
      for (const user of users) {
        const usd = costBetween(
          usage.filter((row) => row.ownerId === user),
          dayStart,
          dayEnd,
        ).usd;
        if (usd > 0) spend.push({ day: label, user: store.displayName(user) ?? user, usd });
      }
      dayStart = dayEnd > dayStart ? dayEnd : dayStart + DAY_IN_MS;
    }
    return renderer.dailySpendByUser({
      title: `Daily spend by user, ${title}`,
      days,
      spend,
      widthInPx: 800,
      heightInPx: 400,
    });
  }

  #message(
    title: string,
    fromMs: number,
    toMs: number,
    previous: { fromMs: number; toMs: number },
    previousLabel: string,
    keep: (row: UsageCostRow) => boolean,
  ) {
    const { costs, store } = this.#deps;
    const usage = costs.usageBetween(previous.fromMs, toMs).filter(keep);
    const reaps = store
      .listReapsBetween(fromMs, toMs)
      .filter((reap) => usage.some((row) => row.clusterId === reap.clusterId));
    const sizes = new Map(
      usage.map((row) => {
        const cluster = store.getCluster(row.clusterId);
        return [
          row.clusterId,
          cluster ? `${cluster.nodeCount} × ${cluster.size}${cluster.spot ? ' (spot)' : ''}` : row.size,
        ];
      }),
    );
    return costReportMessage({
      title,
      fromMs,
      toMs,
      usage,
      previous: { ...previous, label: previousLabel },
      reaps,
      sizes,
    });
  }
}
