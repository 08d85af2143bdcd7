import os from 'node:os';
import path from 'node:path';
import { FileLogStore } from './adapters/logs/file-log-store.ts';
import { loadOrCreateBotKey } from './adapters/ssh/bot-key.ts';
import { Ssh2JobRunner } from './adapters/ssh/ssh2-job-runner.ts';
import { Ssh2Shell } from './adapters/ssh/ssh2-shell.ts';
import { openSqliteStore } from './adapters/store-sqlite/sqlite-store.ts';
import type { Config } from './config/config.ts';
import type { Chat } from './ports/chat.ts';
import type { Clock } from './ports/clock.ts';
import type { LogStore } from './ports/log-store.ts';
import type { Logger } from './ports/logger.ts';
import { LocalProvider } from './providers/local/local-provider.ts';
import { ChatPacer } from './services/chat-pacer.ts';
import { ClusterService } from './services/cluster-service.ts';
import { Dispatcher } from './services/dispatcher.ts';
import { JobService } from './services/job-service.ts';
import { KeyService } from './services/key-service.ts';
import { TaskTracker } from './services/task-tracker.ts';

/** Everything but the chat surface, wired from config: shared by main.ts and the benchmarks. */
export function buildApp(
  config: Config,
  deps: { chat: Chat; clock: Clock; logger: Logger; logs?: LogStore },
) {
  const { chat, clock, logger } = deps;
  const store = openSqliteStore(config.databasePath);
  const botKey = loadOrCreateBotKey(config.dataDir);
  const shell = new Ssh2Shell(botKey.privateKey);
  const provider = new LocalProvider({
    root: path.join(config.dataDir, 'clusters'),
    basePort: config.localBasePort,
    slotsPerNode: config.localSlotsPerNode,
    user: { name: os.userInfo().username, isRoot: process.getuid?.() === 0 },
    botPublicKey: botKey.publicKey,
    shell,
    clock,
    logger,
  });
  const tracker = new TaskTracker((key, error) =>
    logger.error('background work failed', { clusterId: key, error }),
  );
  const jobTracker = new TaskTracker((key, error) =>
    logger.error('job supervisor failed', { job: key, error }),
  );
  const pacer = new ChatPacer(clock, config.chatIntervalInMs, (error) =>
    logger.warn('chat call failed', { error }),
  );
  const limits = {
    maxNodesPerCluster: config.maxNodesPerCluster,
    maxTotalNodes: config.maxTotalNodes,
    readyTimeoutInMs: config.readyTimeoutInMs,
    adminIds: config.adminIds,
  };
  const logs = deps.logs ?? new FileLogStore(path.join(config.dataDir, 'logs'));
  const jobs = new JobService({
    store,
    provider,
    runner: new Ssh2JobRunner(botKey.privateKey, shell),
    logs,
    chat,
    pacer,
    clock,
    logger,
    clusterTracker: tracker,
    jobTracker,
    limits: {
      jobsPerCluster: config.jobsPerCluster,
      launcher: config.localMpiexec,
      cancelGraceInMs: 3000,
      lostAfterInMs: config.jobLostAfterInMs,
      cardRefreshInMs: 30_000,
      adminIds: config.adminIds,
    },
  });
  const clusters = new ClusterService({
    store,
    provider,
    chat,
    clock,
    tracker,
    logger,
    limits,
    beforeDelete: (clusterId) => jobs.stopAllOnCluster(clusterId, 'cancelled: its cluster was deleted'),
  });
  const keys = new KeyService({ store, clock, refreshKeys: (channelId) => clusters.refreshKeys(channelId) });
  const dispatcher = new Dispatcher({ store, clusters, keys, jobs, clock, logger, limits });

  return {
    store,
    provider,
    botKey,
    dispatcher,
    clusters,
    jobs,
    logs,
    /** Picks up where a previous run stopped: cluster operations, running and queued jobs. */
    recover(): void {
      clusters.recoverAll();
      jobs.recoverAll();
    },
    /** Finishes in-flight work (cluster operations, running jobs, chat calls). */
    async idle(): Promise<void> {
      await Promise.all([tracker.idle(), jobTracker.idle()]);
      await pacer.idle();
    },
    close(): void {
      store.close();
    },
  };
}
