import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JsonLogger } from './adapters/system/json-logger.ts';
import { acquirePidLock } from './adapters/system/pid-lock.ts';
import { SystemClock } from './adapters/system/system-clock.ts';
import { startCron } from './adapters/system/cron-schedules.ts';
import {
  cachedCheck,
  providerReachableCheck,
  slackAuthCheck,
  socketConnectedCheck,
  storeWritableCheck,
} from './adapters/http/health-checks.ts';
import { startOpsServer, type HealthCheck } from './adapters/http/ops-server.ts';
import { PromMetrics } from './adapters/metrics/prom-metrics.ts';
import { withSlackMetrics } from './adapters/metrics/slack-client-metrics.ts';
import { PRICE_CHECK_INTERVAL_IN_MS, RECONCILE_INTERVAL_IN_MS, buildApp, runEvery } from './app.ts';
import { loadConfig, type Config } from './config/config.ts';
import { ConsoleChat } from './surfaces/console/console-chat.ts';
import { runConsole } from './surfaces/console/console-surface.ts';

/** A stop on a signal ends within this, whatever is in flight (Kubernetes waits 30 s, Docker 10 s). */
const SHUTDOWN_DEADLINE_IN_MS = 9_000;
/** How long chat calls in flight may take to finish on a stop. */
const CHAT_GRACE_IN_MS = 3_000;

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

  // Values no log line may carry, whatever code logs them: the tokens, the signing secret and
  // the storage connection string of this configuration.
  const logger = JsonLogger.withSecrets(config.logLevel, configuredSecrets(config));
  keepServingOnStrayErrors(logger);
  try {
    if (config.surface.kind === 'console') {
      await runConsoleMode(config, logger, args.as ?? config.consoleUser ?? os.userInfo().username);
    } else {
      await runSlackMode(config, config.surface, logger);
    }
  } finally {
    lock.release();
  }
  return 0;
}

/** Console: each stdin line is a command; at end of input, finish in-flight work and exit. */
async function runConsoleMode(config: Config, logger: JsonLogger, user: string): Promise<void> {
  const write = (text: string): void => void process.stdout.write(text);
  const chat = new ConsoleChat(write);
  const clock = new SystemClock();
  // Orphans are printed like any other message of the console.
  const metrics = new PromMetrics({ logger });
  const app = buildApp(config, {
    chat,
    clock,
    logger,
    metrics,
    adminChannelId: 'console',
    reportChannelId: config.reports.channelId ?? 'console',
  });
  metrics.readStateFrom(app.store);
  metrics.observe(app.events);
  app.recover();
  const background = startBackground(app, config, clock, logger);
  const ops = await startOps(config, app, metrics, clock, logger, {});
  logger.info('mpibox started', {
    surface: 'console',
    dataDir: config.dataDir,
    user,
    ...providerSummary(config),
  });
  // A signal stops taking commands and leaves running jobs on their nodes (the next start
  // follows them); end of input instead finishes everything in flight, jobs included.
  let signalled = false;
  const stopReading = new AbortController();
  const stop = (): void => {
    if (signalled) process.exit(130);
    signalled = true;
    logger.info('mpibox stopping', {});
    exitWithin(SHUTDOWN_DEADLINE_IN_MS, logger);
    stopReading.abort();
    process.stdin.destroy();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    await runConsole({
      input: process.stdin,
      echo: !process.stdin.isTTY,
      actor: { userId: user, displayName: user, channelId: 'console' },
      dispatcher: app.dispatcher,
      chat,
      write,
      abortSignal: stopReading.signal,
    });
  } finally {
    await ops?.close();
    await background.stop();
    if (signalled) await app.checkpoint(CHAT_GRACE_IN_MS);
    else await app.idle();
    app.close();
  }
}

/** Exits 0 after `deadlineInMs` if the orderly stop has not finished by then. */
function exitWithin(deadlineInMs: number, logger: JsonLogger): void {
  setTimeout(() => {
    logger.warn('stop took too long; exiting', { deadlineInMs });
    process.exit(0);
  }, deadlineInMs).unref();
}

/**
 * Slack: serve until SIGINT/SIGTERM. Running jobs are not waited for: they live on their
 * nodes, and the next start re-attaches to them.
 */
async function runSlackMode(
  config: Config,
  surface: Exclude<Config['surface'], { kind: 'console' }>,
  logger: JsonLogger,
): Promise<void> {
  // Loaded only in Slack mode: Bolt and the Web API client cost about 35 MB the console
  // never needs.
  const webApi = await import('@slack/web-api');
  const { LogLevel, WebClient } = webApi;
  const { retryPolicies } = webApi.default; // (not a named export of this CommonJS module)
  const { createSlackApp } = await import('./surfaces/slack/slack-app.ts');
  const { SlackChat } = await import('./surfaces/slack/slack-chat.ts');
  const clock = new SystemClock();
  const metrics = new PromMetrics({ logger });
  const clientOptions = {
    ...(surface.apiUrl ? { slackApiUrl: surface.apiUrl } : {}),
    logLevel: LogLevel.ERROR,
    // A call stuck on a half-open connection must fail, not hold its channel's queue forever.
    timeout: 30_000,
  };
  const chat = new SlackChat(
    // Cards and answers: a person is waiting (a `run` starts its job once its message is
    // posted), so give up after about five minutes rather than thirty.
    new WebClient(
      surface.botToken,
      withSlackMetrics(
        { ...clientOptions, retryConfig: { ...retryPolicies.fiveRetriesInFiveMinutes } },
        metrics,
      ),
    ),
    // Job logs: keep trying long, nothing may be lost.
    new WebClient(surface.botToken, withSlackMetrics({ ...clientOptions }, metrics)),
    logger,
  );
  const app = buildApp(config, { chat, clock, logger, metrics });
  metrics.readStateFrom(app.store);
  metrics.observe(app.events);
  const slack = createSlackApp({
    transport:
      surface.kind === 'slack-http'
        ? { kind: 'http', signingSecret: surface.signingSecret, port: surface.port }
        : { kind: 'socket', appToken: surface.appToken, signingSecret: surface.signingSecret },
    botToken: surface.botToken,
    apiUrl: surface.apiUrl,
    replayJournalPath: path.join(config.dataDir, 'slack-signatures'),
    dispatcher: app.dispatcher,
    store: app.store,
    clock,
    logger,
    metrics,
    idlePolicy: config.reaper.schedule === null ? null : config.reaper,
  });
  app.recover();
  const server = await slack.start();
  const background = startBackground(app, config, clock, logger);
  // Slack reachable with the bot's token: auth.test on a client of its own that does not retry
  // (a failing Slack must not keep a probe waiting), at most once a minute.
  const probeClient = new WebClient(surface.botToken, {
    ...clientOptions,
    retryConfig: { retries: 0 },
    timeout: 3000,
  });
  // Socket Mode: connected per the socket's own events (30 s of grace: Slack replaces sockets
  // every few hours); HTTP: the token works.
  const ops = await startOps(
    config,
    app,
    metrics,
    clock,
    logger,
    slack.socket
      ? { slack: socketConnectedCheck(slack.socket, { clock }) }
      : { slack: cachedCheck(slackAuthCheck(probeClient), { ttlInMs: 60_000, clock }) },
  );
  logger.info('mpibox started', {
    surface: surface.kind,
    port: server.port,
    dataDir: config.dataDir,
    adminChannel: config.adminChannelId,
    ...providerSummary(config),
  });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  logger.info('mpibox stopping', {});
  exitWithin(SHUTDOWN_DEADLINE_IN_MS, logger);
  // No new commands; requests in flight get their answers.
  await server.stop();
  await ops?.close();
  await background.stop();
  await app.checkpoint(CHAT_GRACE_IN_MS);
  app.close();
  logger.info('mpibox stopped', {});
}

/**
 * An error that nothing awaited or caught (thrown in a library's own event handler, such as
 * Socket Mode's on a frame it cannot read) is logged, and the bot keeps serving: Node's default
 * is to exit, and no request from outside may end the process.
 */
function keepServingOnStrayErrors(logger: JsonLogger): void {
  const describe = (error: unknown) =>
    error instanceof Error ? { error: error.message, stack: error.stack } : { error: String(error) };
  process.on('unhandledRejection', (reason) => logger.error('unhandled rejection', describe(reason)));
  process.on('uncaughtException', (error) => logger.error('uncaught exception', describe(error)));
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

/** The provider settings in force, for the start-up line (nothing secret is in them). */
/**
 * Work on schedules: the reconciler (start-up, then hourly), the reaper and budget checks
 * (MPIBOX_REAPER_SCHEDULE), the cost report (MPIBOX_REPORT_SCHEDULE in MPIBOX_REPORT_TZ), and
 * the daily price refresh. Each tick only calls a service.
 */
function startBackground(
  app: ReturnType<typeof buildApp>,
  config: Config,
  clock: SystemClock,
  logger: JsonLogger,
): { stop(): Promise<void> } {
  const stopping = new AbortController();
  const loops = [
    runEvery(
      clock,
      RECONCILE_INTERVAL_IN_MS,
      (signal) => app.reconciler.runOnce(signal),
      logger,
      stopping.signal,
    ),
    runEvery(
      clock,
      PRICE_CHECK_INTERVAL_IN_MS,
      (signal) => app.refreshPrices(signal),
      logger,
      stopping.signal,
    ),
  ];
  const cron = startCron(
    [
      {
        name: 'reaper',
        expression: config.reaper.schedule,
        tick: () => Promise.all([app.reaper?.runOnce(), app.budgets.checkAll()]),
      },
      {
        name: 'cost-report',
        expression: config.reports.schedule,
        timeZone: config.reports.timeZone,
        tick: () => app.costReports.scheduled(),
      },
    ],
    logger,
  );
  return {
    async stop() {
      stopping.abort();
      await cron.stop();
      await Promise.all(loops);
    },
  };
}

function providerSummary(config: Config): Record<string, unknown> {
  const azure = config.azure;
  if (!azure)
    return {
      provider: 'local',
      basePort: config.localBasePort,
      slotsPerNode: config.localSlotsPerNode,
      readyCheck: config.readyCheck,
      ...costSummary(config),
    };
  return {
    provider: 'azure',
    readyCheck: config.readyCheck,
    subscriptionId: azure.subscriptionId,
    location: azure.location,
    vmSizes: azure.vmSizes,
    image: Object.values(azure.image).join(':'),
    sshSources: azure.sshSources,
    adminUsername: azure.adminUsername,
    jobUsername: azure.jobUsername,
    cloud: azure.cloud,
    resourceManagerEndpoint: azure.resourceManagerEndpoint,
  };
}

/**
 * `/healthz` and `/metrics` on MPIBOX_METRICS_PORT (none when unset): the store writable, the
 * provider reachable (at most once a minute: ARM's read limits are per subscription), and the
 * surface's own `extra` checks (cached by the caller where they cost a request).
 */
async function startOps(
  config: Config,
  app: ReturnType<typeof buildApp>,
  metrics: PromMetrics,
  clock: SystemClock,
  logger: JsonLogger,
  extra: Record<string, HealthCheck>,
): Promise<{ close(): Promise<void> } | null> {
  if (config.metricsPort === null) return null;
  const cached = (check: HealthCheck) => cachedCheck(check, { ttlInMs: 60_000, clock });
  const ops = await startOpsServer({
    port: config.metricsPort,
    host: config.metricsHost,
    metrics,
    logger,
    checks: {
      store: storeWritableCheck(app.store, config.dataDir),
      provider: cached(providerReachableCheck(app.provider)),
      ...extra,
    },
  });
  logger.info('health and metrics served', { port: ops.port, host: config.metricsHost });
  return ops;
}

/** The reaper, report and price settings in force, for the start-up line. */
function costSummary(config: Config): Record<string, unknown> {
  return {
    reaper: config.reaper.schedule === null ? 'off' : { ...config.reaper },
    reports: config.reports,
    budgets: config.budgets,
    pricesUrl: config.prices.apiUrl ?? 'off',
    localPriceAs: config.azure
      ? undefined
      : `${config.prices.localEquivalent.size}@${config.prices.localEquivalent.region}`,
  };
}

/** The secrets of a configuration, for the logger to scrub wherever they appear. */
function configuredSecrets(config: Config): (string | null)[] {
  const surface = config.surface;
  const slack =
    surface.kind === 'console'
      ? []
      : [surface.botToken, surface.signingSecret, surface.kind === 'slack-socket' ? surface.appToken : null];
  const storage =
    config.archive.blob && 'connectionString' in config.archive.blob
      ? config.archive.blob.connectionString
      : null;
  return [...slack, storage];
}
