import { decideIdle, idleSince, keepUntil, looksStuck, type IdlePolicy } from '../domain/idle.ts';
import { MpiboxError } from '../domain/errors.ts';
import { formatShortDuration } from '../domain/duration.ts';
import { localMidnight, wallClock } from '../domain/time-zone.ts';
import { canModifyCluster } from '../domain/policy.ts';
import type { Chat, Message, MessageRef } from '../ports/chat.ts';
import type { Clock } from '../ports/clock.ts';
import type { CloudProvider } from '../ports/cloud-provider.ts';
import type { DomainEvents } from '../ports/events.ts';
import type { Logger } from '../ports/logger.ts';
import type { ClusterRow, JobRow, Store } from '../ports/store.ts';
import type { Actor, Reply } from './actor.ts';
import type { ChatPacer } from './chat-pacer.ts';
import type { ClusterService } from './cluster-service.ts';
import type { CostService } from './cost-service.ts';
import { message } from './messages.ts';
import {
  idleWarning,
  reapedNotice,
  stuckQuestion,
  warningWithdrawn,
  type ReapAction,
} from './reaper-messages.ts';
import { resolveCluster } from './resolve-cluster.ts';
import type { TaskTracker } from './task-tracker.ts';

/** The reaper's settings (MPIBOX_IDLE_TIMEOUT, MPIBOX_REAP_GRACE, MPIBOX_REAP_ACTION, …). */
export interface ReaperPolicy extends IdlePolicy {
  action: ReapAction;
  /** The longest keep a user may ask for. */
  keepMaxInMs: number;
  /** A running job quiet (no output, no CPU) this long is asked about. */
  stuckAfterInMs: number;
}

export interface ReaperDeps {
  store: Store;
  provider: CloudProvider;
  chat: Chat;
  pacer: ChatPacer;
  clock: Clock;
  logger: Logger;
  events: DomainEvents;
  clusters: ClusterService;
  costs: CostService;
  tracker: TaskTracker;
  policy: ReaperPolicy;
  adminIds: readonly string[];
}

/** The reaper, as the audit log names it: it acts as the system, never as a user. */
export const REAPER_ACTOR = 'mpibox-reaper';

/**
 * Reaps idle clusters safely. `runOnce` is the whole logic of one tick (a cron schedule only
 * calls it): for each ready cluster, gather what is running (jobs in the store, users'
 * terminal sessions and jobs' CPU on the nodes), decide with the idle rule, and warn, withdraw
 * or reap. Warnings and reaps are claimed in the store first, so overlapping ticks or a second
 * bot process act once; a cluster whose nodes cannot be asked is left alone.
 */
export class Reaper {
  readonly #deps: ReaperDeps;
  #running: Promise<void> | null = null;
  #notes = 0;

  constructor(deps: ReaperDeps) {
    this.#deps = deps;
    // Activity the services see happen: a job ending, a cluster becoming ready or started.
    deps.events.subscribe((event) => {
      if (event.type === 'job-ended') deps.store.touchActivity(event.clusterId, event.atMs);
      if (event.type === 'cluster-state-changed' && event.to === 'ready')
        deps.store.touchActivity(event.clusterId, event.atMs);
    });
  }

  /** One tick. A tick that starts while the previous one runs waits for it and does nothing more. */
  async runOnce(): Promise<void> {
    if (this.#running) return this.#running;
    this.#running = this.#tick().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  /** `/mpi keep [cluster] <duration>` and the Keep buttons: no warning or reap until then (capped). */
  async keep(actor: Actor, request: { name: string | null; forMs: number | 'tonight' }): Promise<Reply> {
    const cluster = await resolveCluster(this.#deps.store, this.#deps.tracker, actor, request.name);
    return this.#keep(actor, cluster, request.forMs);
  }

  /** A Keep button: `<cluster id> <1h|tonight>`. */
  async keepById(actor: Actor, value: string): Promise<Reply> {
    const [clusterId, how] = value.split(' ');
    const cluster = this.#deps.store.getCluster(clusterId ?? '');
    if (!cluster) throw new MpiboxError('not-found', 'no cluster with this id', { id: clusterId ?? '' });
    return this.#keep(actor, cluster, how === 'tonight' ? 'tonight' : 3_600_000);
  }

  async #keep(actor: Actor, cluster: ClusterRow, forMs: number | 'tonight'): Promise<Reply> {
    const { store, clock, policy } = this.#deps;
    // Anyone in the channel who may use the cluster may keep it: keeping only postpones spending decisions.
    if (
      cluster.channelId !== actor.channelId &&
      !canModifyCluster(actor.userId, cluster, this.#deps.adminIds)
    )
      throw new MpiboxError('forbidden', 'not owner', {
        verb: 'keep',
        name: cluster.name,
        ownerId: cluster.ownerId,
      });
    if (cluster.state === 'deleted' || cluster.state === 'failed' || cluster.state === 'deleting')
      throw new MpiboxError('conflict', 'busy', { name: cluster.name, state: cluster.state });
    const nowMs = clock.nowInMs();
    const wanted = forMs === 'tonight' ? this.#untilTonight(nowMs) - nowMs : forMs;
    const { untilMs, capped } = keepUntil(nowMs, wanted, policy.keepMaxInMs);
    store.setKeep(cluster.id, untilMs, actor.userId);
    const warnedAtMs = store.getIdleWatch(cluster.id)?.warnedAtMs ?? null;
    if (warnedAtMs !== null) await this.#withdraw(cluster, warnedAtMs, 'kept');
    const until = new Date(untilMs).toISOString().slice(11, 16);
    const cap = capped ? ` (the most allowed is ${formatShortDuration(policy.keepMaxInMs)})` : '';
    return {
      visibility: 'channel',
      message: message(
        `<@${actor.userId}> keeps \`${cluster.name}\` for ${formatShortDuration(untilMs - nowMs)}${cap}, until ${until} UTC: no idle warning or reap before then.`,
      ),
    };
  }

  /** Midnight in the team's zone, later today. */
  #untilTonight(nowMs: number): number {
    const zone = this.#deps.costs.timeZone;
    const { year, month, day } = wallClock(nowMs, zone);
    return localMidnight(year, month, day + 1, zone);
  }

  async #tick(): Promise<void> {
    for (const cluster of this.#deps.store.listLiveClusters()) {
      if (cluster.state !== 'ready') continue;
      try {
        await this.#check(cluster);
      } catch (error) {
        this.#deps.logger.warn('reaper check failed', { clusterId: cluster.id, error });
      }
    }
  }

  async #check(cluster: ClusterRow): Promise<void> {
    const { store, clock, policy } = this.#deps;
    const busy = await this.#busyNow(cluster);
    if (busy === null) return; // its nodes could not be asked: never act on a guess
    const nowMs = clock.nowInMs();
    if (busy) store.touchActivity(cluster.id, nowMs);
    if (!store.getIdleWatch(cluster.id)) store.touchActivity(cluster.id, nowMs); // first sight
    const watch = store.getIdleWatch(cluster.id)!;
    const facts = {
      nowMs,
      busy,
      lastActiveAtMs: watch.lastActiveAtMs,
      keepUntilMs: watch.keepUntilMs,
      warnedAtMs: watch.warnedAtMs,
    };
    const decision = decideIdle(facts, policy);
    switch (decision.kind) {
      case 'warn':
        return this.#warn(cluster, nowMs, nowMs - idleSince(facts));
      case 'withdraw':
        return this.#withdraw(cluster, watch.warnedAtMs!, decision.why);
      case 'reap':
        return this.#reap(cluster, watch.warnedAtMs!, nowMs - decision.idleSinceMs);
      default:
        return;
    }
  }

  /**
   * Whether anything uses the cluster now: a job in the store (queued or running) or a user's
   * terminal session on a node. Also watches running jobs for the stuck question. Null when
   * the nodes could not be asked.
   */
  async #busyNow(cluster: ClusterRow): Promise<boolean | null> {
    const jobs = this.#deps.store.listUnfinishedJobs(cluster.id);
    const running = jobs.filter((job) => job.state === 'running');
    let activity;
    try {
      activity = await this.#deps.provider.activity(
        cluster.id,
        running.map((job) => job.id),
      );
    } catch (error) {
      this.#deps.logger.warn('reaper could not read node activity', { clusterId: cluster.id, error });
      return null;
    }
    for (const job of running) await this.#watchJob(job, activity.jobCpuTicks.get(job.id) ?? 0);
    return jobs.length > 0 || activity.sessions.length > 0;
  }

  /** Keeps what a running job did lately; asks once in its thread when it looks stuck. */
  async #watchJob(job: JobRow, cpuTicks: number): Promise<void> {
    const { store, clock, policy } = this.#deps;
    const nowMs = clock.nowInMs();
    const seen = store.getJobWatch(job.id);
    const next = {
      jobId: job.id,
      logBytes: job.logBytes,
      lastOutputAtMs: !seen || job.logBytes > seen.logBytes ? nowMs : seen.lastOutputAtMs,
      cpuTicks,
      lastCpuAtMs: !seen || cpuTicks > seen.cpuTicks ? nowMs : seen.lastCpuAtMs,
      stuckAskedAtMs: seen?.stuckAskedAtMs ?? null,
    };
    const quiet = { nowMs, stuckAfterInMs: policy.stuckAfterInMs, ...next };
    const ask = next.stuckAskedAtMs === null && looksStuck(quiet);
    if (ask) next.stuckAskedAtMs = nowMs;
    store.putJobWatch(next);
    if (ask && job.messageChannelId && job.messageId) {
      const quietForMs = nowMs - Math.max(next.lastOutputAtMs, next.lastCpuAtMs);
      await this.#post(job.channelId, stuckQuestion(job, quietForMs), {
        channelId: job.messageChannelId,
        messageId: job.messageId,
      });
    }
  }

  async #warn(cluster: ClusterRow, nowMs: number, idleForMs: number): Promise<void> {
    const { store, policy, costs } = this.#deps;
    if (!store.claimWarning(cluster.id, nowMs)) return; // another tick or process warned
    this.#audit(cluster, `[reaper warn ${cluster.name}]`);
    const warning = idleWarning(cluster, {
      idleForMs,
      graceInMs: policy.graceInMs,
      action: policy.action,
      usdPerHour: costs.clusterHourly(cluster.id),
    });
    const ref = await this.#post(cluster.channelId, warning, cardOf(cluster));
    if (ref) store.setWarningMessage(cluster.id, ref);
  }

  async #withdraw(cluster: ClusterRow, warnedAtMs: number, why: 'activity' | 'kept'): Promise<void> {
    const { store } = this.#deps;
    const watch = store.getIdleWatch(cluster.id);
    if (!store.clearWarning(cluster.id, warnedAtMs)) return;
    const reason = why === 'kept' ? `kept by <@${watch?.keptBy ?? 'someone'}>` : 'it is in use again';
    await this.#replace(cluster.channelId, watch, warningWithdrawn(cluster, reason));
  }

  /** Re-checks right before acting, then claims the reap and posts what it did. */
  async #reap(cluster: ClusterRow, warnedAtMs: number, idleForMs: number): Promise<void> {
    const { store, clusters, costs, policy, logger } = this.#deps;
    const busy = await this.#busyNow(cluster);
    if (busy !== false) {
      if (busy) store.touchActivity(cluster.id, this.#deps.clock.nowInMs());
      return; // in use after all (the next tick withdraws the warning), or unknown
    }
    const usdPerHour = costs.clusterHourly(cluster.id);
    const watch = store.getIdleWatch(cluster.id); // where the warning is: the claim ends it
    if (!clusters.reap(cluster.id, warnedAtMs, policy.action)) return; // someone else acted, or a job came
    logger.info('reaped an idle cluster', { clusterId: cluster.id, action: policy.action, idleForMs });
    store.recordReap({
      clusterId: cluster.id,
      atMs: this.#deps.clock.nowInMs(),
      action: policy.action,
      nodeCount: cluster.nodeCount,
      usdPerHour,
    });
    this.#audit(cluster, `[reaper ${policy.action} ${cluster.name}]`);
    const notice = reapedNotice(cluster, {
      action: policy.action,
      idleForMs,
      usdPerHour,
      totalUsd: costs.clusterTotal(cluster.id).usd,
    });
    await this.#replace(cluster.channelId, watch, notice);
    await this.#post(cluster.channelId, notice, cardOf(cluster));
  }

  #audit(cluster: ClusterRow, text: string): void {
    this.#deps.store.audit({
      atMs: this.#deps.clock.nowInMs(),
      userId: REAPER_ACTOR,
      channelId: cluster.channelId,
      text,
      result: 'ok',
    });
  }

  /** Replaces the outstanding warning message in place (its buttons go with it). */
  async #replace(
    channelId: string,
    watch: { warningChannelId: string | null; warningMessageId: string | null } | null,
    text: Message,
  ): Promise<void> {
    if (!watch?.warningChannelId || !watch.warningMessageId) return;
    const ref = { channelId: watch.warningChannelId, messageId: watch.warningMessageId };
    await this.#deps.pacer.submit(channelId, `reaper-${ref.messageId}`, async () => {
      try {
        await this.#deps.chat.update(ref, text);
      } catch (error) {
        this.#deps.logger.warn('reaper message update failed', { error });
      }
    });
  }

  /** Posts (in a thread when given), paced; resolves with where, or null when it failed. */
  async #post(channelId: string, text: Message, thread: MessageRef | undefined): Promise<MessageRef | null> {
    let ref: MessageRef | null = null;
    await this.#deps.pacer.submit(channelId, `reaper-note-${(this.#notes += 1)}`, async () => {
      try {
        ref = await this.#deps.chat.post(thread?.channelId ?? channelId, text, thread);
      } catch (error) {
        this.#deps.logger.warn('reaper message could not be posted', { error });
      }
    });
    return ref;
  }
}

/** The cluster card, whose thread holds the cluster's notes. */
function cardOf(cluster: ClusterRow): MessageRef | undefined {
  return cluster.cardChannelId && cluster.cardMessageId
    ? { channelId: cluster.cardChannelId, messageId: cluster.cardMessageId }
    : undefined;
}
