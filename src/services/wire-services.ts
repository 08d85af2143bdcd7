import type { ChannelPolicy } from '../domain/policy.ts';
import type { Chat } from '../ports/chat.ts';
import type { Clock } from '../ports/clock.ts';
import type { CloudProvider } from '../ports/cloud-provider.ts';
import type { JobRunner } from '../ports/job-runner.ts';
import type { LogStore } from '../ports/log-store.ts';
import type { Logger } from '../ports/logger.ts';
import type { Store } from '../ports/store.ts';
import type { Limits } from './actor.ts';
import { ChatPacer } from './chat-pacer.ts';
import { ClusterService } from './cluster-service.ts';
import { Dispatcher } from './dispatcher.ts';
import { JobService, type JobLimits } from './job-service.ts';
import { KeyService } from './key-service.ts';
import { Reconciler } from './reconciler.ts';
import { EventBus } from './event-bus.ts';
import type { ReadyCheck } from './ready-check.ts';
import { TaskTracker } from './task-tracker.ts';
import type { ChartRenderer } from '../ports/chart.ts';
import type { Metrics } from '../ports/metrics.ts';
import type { JobArchive } from '../ports/job-archive.ts';
import type { JobRow } from '../ports/store.ts';
import { LogArchiver } from './log-archiver.ts';
import { Budgets } from './budgets.ts';
import { CostReports } from './cost-reports.ts';
import { CostService, type Pricing } from './cost-service.ts';
import { Reaper, type ReaperPolicy } from './reaper.ts';
import { recordUsage } from './usage-recorder.ts';

/** The ports and settings the services need; adapters or test fakes alike. */
export interface ServiceDeps {
  store: Store;
  provider: CloudProvider;
  runner: JobRunner;
  logs: LogStore;
  chat: Chat;
  clock: Clock;
  logger: Logger;
  limits: Limits;
  jobLimits: Omit<JobLimits, 'adminIds'>;
  /** Least time between two chat calls in one channel. */
  chatIntervalInMs: number;
  channelPolicy: Readonly<Record<string, ChannelPolicy>>;
  /** Where orphans are reported (MPIBOX_ADMIN_CHANNEL, or the console); null or absent: the log only. */
  adminChannelId?: string | null;
  /** Node prices (cost, estimates, budgets); absent: nothing is priced. */
  pricing?: Pricing;
  /** Idle reaping, keeps and stuck jobs; absent: no reaper (it is not wired). */
  reaperPolicy?: ReaperPolicy;
  /** Cost reports: the team's time zone, the report channel and its chart. */
  reports?: {
    timeZone: string;
    channelId: string | null;
    /** The chart of the weekly report and the folder its PNGs are kept in; null: no chart. */
    charts: { renderer: ChartRenderer; dir: string } | null;
  };
  /** Where finished jobs' logs are kept (Blob Storage or a folder), for whom, and the link lifetime. */
  archive?: { archive: JobArchive; team: string; linkLifetimeInMs: number };
  /** Counts commands by verb and outcome; absent: not counted. */
  metrics?: Metrics;
  /** Monthly budget in USD by channel id (MPIBOX_BUDGETS); absent: no budgets. */
  budgets?: Readonly<Record<string, number>>;
  /** The MPI check before "ready"; null or absent when turned off. */
  readyCheck?: ReadyCheck | null;
}

/** Wires every service to the given ports: the one service graph of main.ts, benchmarks and tests. */
export function wireServices(deps: ServiceDeps) {
  const { store, provider, chat, clock, logger, limits } = deps;
  const tracker = new TaskTracker((key, error) =>
    logger.error('background work failed', { clusterId: key, error }),
  );
  const jobTracker = new TaskTracker((key, error) =>
    logger.error('job supervisor failed', { job: key, error }),
  );
  // Usage intervals follow node events (cost is computed from them, never guessed).
  const events = new EventBus(logger);
  const pricing: Pricing = deps.pricing ?? { nodeHourly: () => null };
  recordUsage(events, store, pricing);
  const costs = new CostService({ store, clock, pricing, timeZone: deps.reports?.timeZone ?? 'UTC' });
  const budgets = new Budgets({
    store,
    costs,
    chat,
    clock,
    logger,
    budgets: deps.budgets ?? {},
    adminIds: limits.adminIds,
  });
  const pacer = new ChatPacer(clock, deps.chatIntervalInMs, (error) =>
    logger.warn('chat call failed', { error }),
  );
  const archiver = deps.archive ? new LogArchiver({ ...deps.archive, store, logs: deps.logs, logger }) : null;
  const jobs = new JobService({
    store,
    provider,
    runner: deps.runner,
    logs: deps.logs,
    chat,
    pacer,
    clock,
    logger,
    clusterTracker: tracker,
    jobTracker,
    events,
    limits: { ...deps.jobLimits, adminIds: limits.adminIds },
    jobCost: (job) => costs.jobLine(job),
    ...(archiver
      ? {
          archiveLog: (job: JobRow) => archiver.archiveFinished(job),
          archivedTail: (job: JobRow, lines: number, maxBytes: number) => archiver.tail(job, lines, maxBytes),
        }
      : {}),
  });
  const clusters = new ClusterService({
    store,
    provider,
    chat,
    pacer,
    clock,
    tracker,
    logger,
    limits,
    events,
    readyCheck: deps.readyCheck ?? null,
    budgets,
    ...(deps.reaperPolicy ? { idlePolicy: deps.reaperPolicy } : {}),
    beforeDelete: (clusterId) => jobs.stopAllOnCluster(clusterId, 'cancelled: its cluster was deleted'),
    afterReady: (clusterId) => jobs.resume(clusterId),
  });
  const reconciler = new Reconciler({
    store,
    provider,
    chat,
    pacer,
    clock,
    logger,
    tracker,
    clusters,
    adminIds: limits.adminIds,
    adminChannelId: deps.adminChannelId ?? null,
  });
  const reaper = deps.reaperPolicy
    ? new Reaper({
        store,
        provider,
        chat,
        pacer,
        clock,
        logger,
        events,
        clusters,
        costs,
        tracker,
        policy: deps.reaperPolicy,
        adminIds: limits.adminIds,
      })
    : null;
  const costReports = new CostReports({
    store,
    costs,
    chat,
    clock,
    logger,
    charts: deps.reports?.charts ?? null,
    reportChannelId: deps.reports?.channelId ?? null,
  });
  const keys = new KeyService({ store, clock, refreshKeys: (channelId) => clusters.refreshKeys(channelId) });
  const dispatcher = new Dispatcher({
    store,
    clusters,
    keys,
    jobs,
    orphans: reconciler,
    ...(reaper ? { reaper } : {}),
    costReports,
    budgets,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    clock,
    logger,
    limits,
    channelPolicy: deps.channelPolicy,
  });
  return {
    dispatcher,
    clusters,
    jobs,
    keys,
    reconciler,
    reaper,
    costs,
    costReports,
    budgets,
    tracker,
    jobTracker,
    pacer,
    events,
    /** Picks up where a previous run stopped: cluster operations, running and queued jobs. */
    recover(): void {
      clusters.recoverAll();
      jobs.recoverAll();
    },
    /**
     * Before a stop that must not wait for jobs (SIGTERM): offsets saved, chat calls given up
     * to `graceInMs` to finish. Jobs keep running on their nodes; the next start follows them.
     */
    async checkpoint(graceInMs: number): Promise<void> {
      jobs.checkpoint();
      await Promise.race([pacer.idle(), clock.sleep(graceInMs).catch(() => undefined)]);
      jobs.checkpoint();
    },
    /** Finishes in-flight work (cluster operations, running jobs, chat calls). */
    async idle(): Promise<void> {
      await Promise.all([tracker.idle(), jobTracker.idle()]);
      await pacer.idle();
    },
  };
}
