import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileLogStore } from '../../src/adapters/logs/file-log-store.ts';
import { openSqliteStore } from '../../src/adapters/store-sqlite/sqlite-store.ts';
import type { DomainEvent } from '../../src/ports/events.ts';
import type { Logger } from '../../src/ports/logger.ts';
import type { Actor } from '../../src/services/actor.ts';
import type { ChannelPolicy } from '../../src/domain/policy.ts';
import type { ReadyCheck } from '../../src/services/ready-check.ts';
import type { Pricing } from '../../src/services/cost-service.ts';
import type { ReaperPolicy } from '../../src/services/reaper.ts';
import { FakeClock } from './fake-clock.ts';
import { wireServices } from '../../src/services/wire-services.ts';
import { FakeJobRunner } from './fake-job-runner.ts';
import { FakeProvider } from './fake-provider.ts';
import { RecordingChat } from './recording-chat.ts';

/** Node prices of the harness: `local` $3.60 an hour ($0.72 Spot), `big` $14.40. */
export const HARNESS_PRICING: Pricing = {
  nodeHourly: (size, spot) => {
    const base = size === 'big' ? 14.4 : size === 'local' ? 3.6 : null;
    return base === null ? null : { region: 'eastus', usdPerHour: spot ? base / 5 : base };
  },
};

/** A logger that keeps lines for assertions. */
export class MemoryLogger implements Logger {
  readonly lines: { level: string; message: string; meta?: Record<string, unknown> }[] = [];
  debug(message: string, meta?: Record<string, unknown>): void {
    this.lines.push({ level: 'debug', message, ...(meta ? { meta } : {}) });
  }
  info(message: string, meta?: Record<string, unknown>): void {
    this.lines.push({ level: 'info', message, ...(meta ? { meta } : {}) });
  }
  warn(message: string, meta?: Record<string, unknown>): void {
    this.lines.push({ level: 'warn', message, ...(meta ? { meta } : {}) });
  }
  error(message: string, meta?: Record<string, unknown>): void {
    this.lines.push({ level: 'error', message, ...(meta ? { meta } : {}) });
  }
}

/** Every service wired to fakes of its ports and a real in-memory SQLite store. */
export function makeHarness(
  options: {
    adminIds?: string[];
    maxNodesPerCluster?: number;
    maxTotalNodes?: number;
    jobsPerCluster?: number;
    channelPolicy?: Record<string, ChannelPolicy>;
    /** Where the reconciler reports orphans (default CADMIN). */
    adminChannelId?: string | null;
    /** The MPI check before "ready"; none by default. */
    readyCheck?: ReadyCheck;
    /** Monthly budgets in USD by channel. */
    budgets?: Record<string, number>;
    /** Turns the idle reaper on with these settings. */
    reaperPolicy?: ReaperPolicy;
  } = {},
) {
  const store = openSqliteStore(':memory:');
  const provider = new FakeProvider();
  const clock = new FakeClock();
  const chat = new RecordingChat(clock);
  const logger = new MemoryLogger();
  const limits = {
    maxNodesPerCluster: options.maxNodesPerCluster ?? 16,
    maxTotalNodes: options.maxTotalNodes ?? 64,
    readyTimeoutInMs: 60_000,
    adminIds: options.adminIds ?? ['UADMIN'],
  };
  const runner = new FakeJobRunner();
  const logs = new FileLogStore(fs.mkdtempSync(path.join(os.tmpdir(), 'mpibox-harness-logs-')));
  /** The service graph over the ports above; a restart builds a second one on the same ports. */
  const wire = () =>
    wireServices({
      store,
      provider,
      runner,
      logs,
      chat,
      clock,
      logger,
      limits,
      jobLimits: {
        jobsPerCluster: options.jobsPerCluster ?? 1,
        cancelGraceInMs: 100,
        lostAfterInMs: 60_000,
        cardRefreshInMs: 3_600_000,
      },
      chatIntervalInMs: 1000,
      channelPolicy: options.channelPolicy ?? {},
      adminChannelId: options.adminChannelId === undefined ? 'CADMIN' : options.adminChannelId,
      readyCheck: options.readyCheck ?? null,
      pricing: HARNESS_PRICING,
      budgets: options.budgets ?? {},
      ...(options.reaperPolicy ? { reaperPolicy: options.reaperPolicy } : {}),
      reports: {
        timeZone: 'UTC',
        channelId: 'CREPORT',
        charts: null,
      },
    });
  const services = wire();
  const {
    dispatcher,
    tracker,
    jobTracker,
    pacer,
    jobs,
    clusters,
    keys,
    events,
    reconciler,
    reaper,
    costs,
    costReports,
    budgets,
  } = services;
  /** Every domain event of the first service graph, in order. */
  const published: DomainEvent[] = [];
  events.subscribe((event) => published.push(event));
  const actor = (userId: string, channelId = 'C1'): Actor => ({
    userId,
    displayName: userId.toLowerCase(),
    channelId,
  });
  /** Runs a command as `userId` and waits for its background work. */
  const run = async (userId: string, text: string, channelId = 'C1') => {
    const reply = await dispatcher.command(actor(userId, channelId), text);
    await tracker.idle();
    return reply;
  };
  /** Waits until background work and chat calls have settled (jobs may still be running). */
  const settle = async () => {
    for (let round = 0; round < 5; round += 1) {
      await tracker.idle();
      await pacer.idle();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  /** Polls `check` (real time, briefly) until it holds; throws naming `what` otherwise. */
  const until = async (check: () => boolean, what: string): Promise<void> => {
    for (let round = 0; round < 500; round += 1) {
      if (check()) return;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    throw new Error(`never happened: ${what}`);
  };
  /**
   * A restarted bot: a new service graph on the same store, nodes and chat (the old one is
   * simply no longer used, as after a crash), recovered as main.ts does.
   */
  const restart = () => {
    const next = wire();
    next.recover();
    return next;
  };
  return {
    store,
    provider,
    chat,
    clock,
    logger,
    tracker,
    jobTracker,
    pacer,
    runner,
    logs,
    jobs,
    clusters,
    keys,
    reconciler,
    reaper,
    costs,
    costReports,
    budgets,
    dispatcher,
    published,
    actor,
    run,
    settle,
    until,
    restart,
  };
}

/** Everything a command could change, to prove a refused command changed nothing. */
export function snapshot(
  store: ReturnType<typeof makeHarness>['store'],
  users: string[],
  channels: string[],
) {
  return JSON.stringify({
    clusters: store.listLiveClusters().map((cluster) => ({
      ...cluster,
      nodes: store.listNodes(cluster.id),
      usage: store.listUsage(cluster.id),
    })),
    keys: users.map((user) => store.listKeys(user)),
    members: channels.map((channel) => store.listChannelMembers(channel)),
  });
}
