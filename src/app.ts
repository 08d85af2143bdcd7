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
import type { KnownHostKeys } from './ports/shell.ts';
import { LocalProvider } from './providers/local/local-provider.ts';
import { wireServices } from './services/wire-services.ts';

/** Everything but the chat surface, wired from config: shared by main.ts and the benchmarks. */
export function buildApp(
  config: Config,
  deps: { chat: Chat; clock: Clock; logger: Logger; logs?: LogStore },
) {
  const { chat, clock, logger } = deps;
  const store = openSqliteStore(config.databasePath);
  const botKey = loadOrCreateBotKey(config.dataDir);
  // Nodes must present the host keys the provider made for them. The provider itself talks
  // to its nodes through this shell, hence the lookup that reaches it late.
  const knownHostKeys: KnownHostKeys = (host, port) => provider.knownHostKeys(host, port);
  const shell = new Ssh2Shell(botKey.privateKey, knownHostKeys);
  const provider = new LocalProvider({
    root: path.join(config.dataDir, 'clusters'),
    basePort: config.localBasePort,
    slotsPerNode: config.localSlotsPerNode,
    user: { name: os.userInfo().username, isRoot: process.getuid?.() === 0 },
    botPublicKey: botKey.publicKey,
    launcher: config.localMpiexec,
    shell,
    clock,
    logger,
  });
  const logs = deps.logs ?? new FileLogStore(path.join(config.dataDir, 'logs'));
  const services = wireServices({
    store,
    provider,
    runner: new Ssh2JobRunner(botKey.privateKey, knownHostKeys, shell),
    logs,
    chat,
    clock,
    logger,
    limits: {
      maxNodesPerCluster: config.maxNodesPerCluster,
      maxTotalNodes: config.maxTotalNodes,
      readyTimeoutInMs: config.readyTimeoutInMs,
      adminIds: config.adminIds,
    },
    jobLimits: {
      jobsPerCluster: config.jobsPerCluster,
      cancelGraceInMs: 3000,
      lostAfterInMs: config.jobLostAfterInMs,
      cardRefreshInMs: 30_000,
    },
    chatIntervalInMs: config.chatIntervalInMs,
    channelPolicy: config.channelPolicy,
  });

  return {
    ...services,
    store,
    provider,
    botKey,
    logs,
    close(): void {
      store.close();
    },
  };
}
