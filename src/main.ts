import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadOrCreateBotKey } from './adapters/ssh/bot-key.ts';
import { FileLogStore } from './adapters/logs/file-log-store.ts';
import { Ssh2JobRunner } from './adapters/ssh/ssh2-job-runner.ts';
import { Ssh2Shell } from './adapters/ssh/ssh2-shell.ts';
import { openSqliteStore } from './adapters/store-sqlite/sqlite-store.ts';
import { JsonLogger } from './adapters/system/json-logger.ts';
import { acquirePidLock } from './adapters/system/pid-lock.ts';
import { SystemClock } from './adapters/system/system-clock.ts';
import { loadConfig } from './config/config.ts';
import { LocalProvider } from './providers/local/local-provider.ts';
import { ChatPacer } from './services/chat-pacer.ts';
import { ClusterService } from './services/cluster-service.ts';
import { Dispatcher } from './services/dispatcher.ts';
import { JobService } from './services/job-service.ts';
import { KeyService } from './services/key-service.ts';
import { TaskTracker } from './services/task-tracker.ts';
import { ConsoleChat } from './surfaces/console/console-chat.ts';
import { runConsole } from './surfaces/console/console-surface.ts';

/** Composition root: config → adapters → services → surface. */
async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if ('error' in args) {
    process.stderr.write(`${args.error}\nusage: npm start [-- --as NAME]\n`);
    return 2;
  }
  // eslint-disable-next-line no-restricted-properties -- the composition root hands the environment to config/.
  const loaded = loadConfig(process.env, process.cwd());
  if (!loaded.ok) {
    process.stderr.write(`${loaded.message}\n`);
    return 2;
  }
  const config = loaded.config;
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const lock = acquirePidLock(config.dataDir);
  if ('heldBy' in lock) {
    process.stderr.write(
      `mpibox: another bot (pid ${lock.heldBy}) is using ${config.dataDir}; stop it first.\n`,
    );
    return 1;
  }

  const logger = new JsonLogger(config.logLevel);
  const clock = new SystemClock();
  const store = openSqliteStore(config.databasePath);
  const botKey = loadOrCreateBotKey(config.dataDir);
  const write = (text: string): void => void process.stdout.write(text);
  const chat = new ConsoleChat(write);
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
  const limits = {
    maxNodesPerCluster: config.maxNodesPerCluster,
    maxTotalNodes: config.maxTotalNodes,
    readyTimeoutInMs: config.readyTimeoutInMs,
    adminIds: config.adminIds,
  };
  const jobTracker = new TaskTracker((key, error) =>
    logger.error('job supervisor failed', { job: key, error }),
  );
  const pacer = new ChatPacer(clock, config.chatIntervalInMs, (error) =>
    logger.warn('chat call failed', { error }),
  );
  const jobs = new JobService({
    store,
    provider,
    runner: new Ssh2JobRunner(botKey.privateKey, shell),
    logs: new FileLogStore(path.join(config.dataDir, 'logs')),
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

  clusters.recoverAll();
  jobs.recoverAll();
  const user = args.as ?? config.consoleUser ?? os.userInfo().username;
  logger.info('mpibox started', { mode: config.mode, dataDir: config.dataDir, user });
  let stopping = false;
  const stop = (): void => {
    if (stopping) process.exit(130);
    stopping = true;
    process.stdin.destroy();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    await runConsole({
      input: process.stdin,
      echo: !process.stdin.isTTY,
      actor: { userId: user, displayName: user, channelId: 'console' },
      dispatcher,
      chat,
      write,
    });
  } finally {
    // End of input: finish in-flight work (cluster operations, running jobs, chat calls).
    await Promise.all([tracker.idle(), jobTracker.idle()]);
    await pacer.idle();
    store.close();
    lock.release();
  }
  return 0;
}

function parseArgs(argv: string[]): { as: string | null } | { error: string } {
  let as: string | null = null;
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index];
    if (arg === '--as' && argv[index + 1] && /^[\w.@-]{1,64}$/.test(argv[index + 1] ?? '')) {
      as = argv[index + 1] ?? null;
      index += 1;
    } else {
      return { error: `mpibox: unknown argument ${JSON.stringify(arg)}` };
    }
  }
  return { as };
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`mpibox: fatal: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
