import { formatUsd, formatUsdPerHour } from '../domain/cost.ts';
import { MpiboxError } from '../domain/errors.ts';
import { localMonth } from '../domain/time-zone.ts';
import type { Chat, Message } from '../ports/chat.ts';
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import type { Store } from '../ports/store.ts';
import type { Actor, Reply } from './actor.ts';
import type { CostService } from './cost-service.ts';
import { message } from './messages.ts';

/** Shares of a monthly budget at which the channel is told. */
const THRESHOLDS = [50, 80, 100] as const;

export interface BudgetsDeps {
  store: Store;
  costs: CostService;
  chat: Chat;
  clock: Clock;
  logger: Logger;
  /** Monthly budget in USD by channel id; channels without one have no limit. */
  budgets: Readonly<Record<string, number>>;
  adminIds: readonly string[];
}

/**
 * Monthly budgets per channel: warnings at 50, 80 and 100 % (once each per month), and over
 * budget `/mpi up` is refused with the numbers unless an admin approved going over this month.
 */
export class Budgets {
  readonly #deps: BudgetsDeps;

  constructor(deps: BudgetsDeps) {
    this.#deps = deps;
  }

  /**
   * What `up` says before anything is created: the estimated hourly cost and the channel's
   * spend this month. Throws MpiboxError('quota', field `budget`) when the channel is over
   * its budget and no admin approved.
   */
  beforeUp(actor: Actor, request: { size: string; spot: boolean; nodes: number }): string {
    const { costs, budgets } = this.#deps;
    const hourly = costs.estimateHourly(request.size, request.spot, request.nodes);
    const spent = this.#monthSpend(actor.channelId);
    const budget = budgets[actor.channelId];
    if (budget !== undefined && spent >= budget && !this.#approved(actor.channelId)) {
      throw new MpiboxError('quota', 'over budget', {
        budget: true,
        channelId: actor.channelId,
        spentUsd: Number(spent.toFixed(2)),
        budgetUsd: budget,
      });
    }
    const rate =
      hourly === null
        ? `No price is known for ${request.size}`
        : `Estimated ${formatUsdPerHour(hourly)} (${request.nodes} × ${formatUsdPerHour(hourly / request.nodes)}${request.spot ? ', Spot' : ''})`;
    const month = `this channel has spent ${formatUsd(spent)} this month${budget === undefined ? '' : ` of its ${formatUsd(budget)} budget`}`;
    return `${rate}; ${month}.`;
  }

  /** The Approve button of an over-budget refusal: admins only, for the rest of the month. */
  approve(actor: Actor, channelId: string): Reply {
    const { store, clock, adminIds } = this.#deps;
    if (!adminIds.includes(actor.userId)) throw new MpiboxError('forbidden', 'admins only', { policy: true });
    store.addBudgetEvent({
      channelId,
      month: this.#month(),
      kind: 'approved',
      atMs: clock.nowInMs(),
      userId: actor.userId,
    });
    return {
      visibility: 'channel',
      message: message(
        `<@${actor.userId}> approved going over this channel's budget until the end of the month: \`/mpi up\` works again.`,
      ),
    };
  }

  /** Posts each threshold a channel crossed this month, once. */
  async checkAll(): Promise<void> {
    const { store, clock, chat, budgets, logger } = this.#deps;
    for (const [channelId, budget] of Object.entries(budgets)) {
      const spent = this.#monthSpend(channelId);
      const crossed = THRESHOLDS.filter((percent) => spent >= (budget * percent) / 100);
      for (const percent of crossed) {
        const kind = `warn-${percent}`;
        if (
          !store.addBudgetEvent({
            channelId,
            month: this.#month(),
            kind,
            atMs: clock.nowInMs(),
            userId: null,
          })
        )
          continue; // already said this month
        // Only the highest newly crossed threshold is worth a message; the others are recorded.
        if (percent !== crossed.at(-1)) continue;
        await chat.post(channelId, budgetWarning(percent, spent, budget)).catch((error: unknown) => {
          logger.warn('budget warning could not be posted', { channelId, error });
        });
      }
    }
  }

  #approved(channelId: string): boolean {
    return this.#deps.store
      .listBudgetEvents(channelId, this.#month())
      .some((event) => event.kind === 'approved');
  }

  #monthSpend(channelId: string): number {
    const { fromMs, toMs } = this.#deps.costs.period('month');
    return this.#deps.costs.channelSpend(channelId, fromMs, toMs).usd;
  }

  #month(): string {
    return localMonth(this.#deps.clock.nowInMs(), this.#deps.costs.timeZone);
  }
}

function budgetWarning(percent: number, spent: number, budget: number): Message {
  const text =
    percent >= 100
      ? `This channel has spent ${formatUsd(spent)} this month: its whole ${formatUsd(budget)} budget. New clusters (\`/mpi up\`) now need an admin's approval; running ones go on. \`/mpi cost month\` shows where it went.`
      : `This channel has spent ${formatUsd(spent)} this month: ${percent} % of its ${formatUsd(budget)} budget. \`/mpi cost month\` shows where it went.`;
  return message(text);
}
