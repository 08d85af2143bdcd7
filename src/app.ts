import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileLogStore } from './adapters/logs/file-log-store.ts';
import { loadOrCreateBotKey } from './adapters/ssh/bot-key.ts';
import { Ssh2JobRunner } from './adapters/ssh/ssh2-job-runner.ts';
import { Ssh2Shell } from './adapters/ssh/ssh2-shell.ts';
import { openSqliteStore } from './adapters/store-sqlite/sqlite-store.ts';
import { DefaultAzureCredential } from '@azure/identity';
import type { AzureConfig, Config } from './config/config.ts';
import type { CloudProvider } from './ports/cloud-provider.ts';
import type { Shell } from './ports/shell.ts';
import { makeAzureClients } from './providers/azure/azure-clients.ts';
import { AzureProvider } from './providers/azure/azure-provider.ts';
import { readCloudInitTemplate } from './providers/azure/cloud-init.ts';
import { ClusterCustomData } from './providers/azure/cluster-custom-data.ts';
import { HostKeyPins } from './providers/azure/host-key-pins.ts';
import type { Chat } from './ports/chat.ts';
import type { Clock } from './ports/clock.ts';
import type { LogStore } from './ports/log-store.ts';
import type { Logger } from './ports/logger.ts';
import type { KnownHostKeys } from './ports/shell.ts';
import { LocalProvider } from './providers/local/local-provider.ts';
import { MpiReadyCheck } from './services/ready-check.ts';
import { openDataDirPriceBook } from './adapters/prices/azure-retail-price-book.ts';
import type { PricedSize } from './ports/price-book.ts';
import type { Pricing } from './services/cost-service.ts';
import type { Metrics } from './ports/metrics.ts';
import type { JobArchive } from './ports/job-archive.ts';
import type { ChartRenderer } from './ports/chart.ts';
import {
  blobJobArchiveFromAccountUrl,
  blobJobArchiveFromConnectionString,
} from './adapters/archive/blob-job-archive.ts';
import { FolderJobArchive } from './adapters/archive/folder-job-archive.ts';
import { wireServices } from './services/wire-services.ts';

/** Everything but the chat surface, wired from config: shared by main.ts and the benchmarks. */
export function buildApp(
  config: Config,
  deps: {
    chat: Chat;
    clock: Clock;
    logger: Logger;
    logs?: LogStore;
    /** Where orphans are reported; default MPIBOX_ADMIN_CHANNEL (the console passes its own). */
    adminChannelId?: string | null;
    /** Counts commands and ARM requests; absent: not counted. */
    metrics?: Metrics;
    /** Where the scheduled cost report goes; default MPIBOX_REPORT_CHANNEL (the console passes its own). */
    reportChannelId?: string | null;
  },
) {
  const { chat, clock, logger } = deps;
  const store = openSqliteStore(config.databasePath);
  const botKey = loadOrCreateBotKey(config.dataDir);
  // Nodes must present the host keys the provider made for them. The provider itself talks
  // to its nodes through this shell, hence the lookup that reaches it late.
  const knownHostKeys: KnownHostKeys = (host, port) => provider.knownHostKeys(host, port);
  const shell = new Ssh2Shell(botKey.privateKey, knownHostKeys);
  const provider: CloudProvider = config.azure
    ? buildAzureProvider(config, config.azure, {
        shell,
        clock,
        logger,
        botPublicKey: botKey.publicKey,
        ...(deps.metrics ? { metrics: deps.metrics } : {}),
      })
    : new LocalProvider({
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
  const prices = openDataDirPriceBook(config.dataDir, {
    clock,
    logger,
    ...(config.prices.apiUrl ? { apiUrl: config.prices.apiUrl } : {}),
  });
  const priced = pricedSizes(config);
  const pricing: Pricing = {
    // Local nodes are priced as the configured Azure size, so the figures mean something.
    nodeHourly: (size, spot) => {
      const { size: asSize, region } = config.azure
        ? { size, region: config.azure.location }
        : config.prices.localEquivalent;
      const quote = prices.hourlyPrice(asSize, region, spot);
      return quote ? { region: quote.region, usdPerHour: quote.usdPerHour } : null;
    },
  };
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
    adminChannelId: deps.adminChannelId === undefined ? config.adminChannelId : deps.adminChannelId,
    pricing,
    reaperPolicy: config.reaper,
    reports: {
      timeZone: config.reports.timeZone,
      channelId: deps.reportChannelId === undefined ? config.reports.channelId : deps.reportChannelId,
      charts: { renderer: lazyChartRenderer(logger), dir: path.join(config.dataDir, 'reports') },
    },
    budgets: config.budgets,
    archive: {
      archive: buildArchive(config, clock, logger),
      team: config.archive.team,
      linkLifetimeInMs: config.archive.linkLifetimeInMs,
    },
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    readyCheck: config.readyCheck
      ? new MpiReadyCheck({
          shell,
          launcher: provider.launcher,
          source: fs.readFileSync(READY_CHECK_SOURCE, 'utf8'),
          timeoutInMs: READY_CHECK_TIMEOUT_IN_MS,
        })
      : null,
  });

  return {
    ...services,
    store,
    provider,
    botKey,
    logs,
    /** Refreshes the prices when a day old (only with a prices URL); failures keep the old ones. */
    async refreshPrices(abortSignal?: AbortSignal): Promise<void> {
      if (!config.prices.apiUrl || !prices.needsRefresh()) return;
      await prices.refresh(priced, abortSignal);
    },
    close(): void {
      store.close();
    },
  };
}

/**
 * The report chart's renderer, loaded at the first report: Vega and resvg cost start-up time and
 * memory a bot that reports once a week should not pay at every start.
 */
function lazyChartRenderer(logger: Logger): ChartRenderer {
  let renderer: Promise<ChartRenderer> | null = null;
  return {
    async dailySpendByUser(chart, abortSignal) {
      renderer ??= import('./adapters/chart/vega-chart-renderer.ts').then(
        ({ VegaChartRenderer }) => new VegaChartRenderer({ logger }),
      );
      return (await renderer).dailySpendByUser(chart, abortSignal);
    },
  };
}

/** Blob Storage when configured (connection string, or account URL with DefaultAzureCredential), else the data folder. */
function buildArchive(config: Config, clock: Clock, logger: Logger): JobArchive {
  const blob = config.archive.blob;
  if (blob && 'connectionString' in blob)
    return blobJobArchiveFromConnectionString(blob.connectionString, { clock, logger });
  if (blob)
    return blobJobArchiveFromAccountUrl(blob.accountUrl, new DefaultAzureCredential(), { clock, logger });
  return new FolderJobArchive(path.join(config.dataDir, 'archive'));
}

/** The sizes and regions whose prices the bot needs: Azure's allowed sizes, or the local equivalent. */
function pricedSizes(config: Config): PricedSize[] {
  if (!config.azure) return [config.prices.localEquivalent];
  const region = config.azure.location;
  return config.azure.vmSizes.map((size) => ({ size, region }));
}

/** The MPI check's program, built on every cluster's node 0 (scripts/mpi-check/). */
const READY_CHECK_SOURCE = new URL('../scripts/mpi-check/mpibox-check.c', import.meta.url);
/** A check takes seconds; a minute of mpiexec means a node or the network is not right. */
const READY_CHECK_TIMEOUT_IN_MS = 60_000;

/** Prices are refreshed when a day old; this is how often that is looked at. */
export const PRICE_CHECK_INTERVAL_IN_MS = 3_600_000;

/** How often the reconciler compares the provider with the store (issue 9: hourly). */
export const RECONCILE_INTERVAL_IN_MS = 3_600_000;

/**
 * Runs `tick` now, then every `intervalInMs` after the previous tick ended, until `abortSignal`
 * aborts; resolves then. Transport only (STYLE 10): a failed tick is logged and the next one
 * comes on time. On the Clock port, so a test drives it with a fake clock.
 */
export async function runEvery(
  clock: Clock,
  intervalInMs: number,
  tick: (abortSignal: AbortSignal) => Promise<unknown>,
  logger: Logger,
  abortSignal: AbortSignal,
): Promise<void> {
  while (!abortSignal.aborted) {
    try {
      await tick(abortSignal);
    } catch (error) {
      if (!abortSignal.aborted) logger.error('scheduled work failed', { error });
    }
    await clock.sleep(intervalInMs, abortSignal).catch(() => undefined);
  }
}

/**
 * Azure from config: DefaultAzureCredential (service principal, managed or workload identity,
 * `az login`; AZURE_TOKEN_CREDENTIALS narrows the chain), clients on the configured ARM
 * endpoint, host-key pins and intra-cluster keys in the data folder.
 */
function buildAzureProvider(
  config: Config,
  azure: AzureConfig,
  deps: { shell: Shell; clock: Clock; logger: Logger; botPublicKey: string; metrics?: Metrics },
): AzureProvider {
  const dir = path.join(config.dataDir, 'azure');
  const customData = new ClusterCustomData({
    dir: path.join(dir, 'cluster-keys'),
    template: readCloudInitTemplate(),
    adminUsername: azure.adminUsername,
    jobUsername: azure.jobUsername,
    botPublicKey: deps.botPublicKey,
  });
  return new AzureProvider({
    clients: makeAzureClients({
      credential: new DefaultAzureCredential(),
      subscriptionId: azure.subscriptionId,
      endpoint: azure.resourceManagerEndpoint,
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
    }),
    subscriptionId: azure.subscriptionId,
    location: azure.location,
    vmSizes: azure.vmSizes,
    image: azure.image,
    sshSources: azure.sshSources,
    adminUsername: azure.adminUsername,
    jobUsername: azure.jobUsername,
    botPublicKey: deps.botPublicKey,
    maxNodesPerCluster: config.maxNodesPerCluster,
    spotMaxPricePerHour: azure.spotMaxPricePerHour,
    customData: (input) => customData.render(input),
    onTerminated: (clusterId) => customData.forget(clusterId),
    shell: deps.shell,
    pins: new HostKeyPins(path.join(dir, 'host-keys')),
    clock: deps.clock,
    logger: deps.logger,
  });
}
