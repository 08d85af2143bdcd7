// Named imports: under Node's ESM loader and under vitest alike (bolt's CommonJS `default`
// export is the App class, which the two read differently).
import {
  App,
  HTTPReceiver,
  LogLevel,
  SocketModeReceiver,
  type Receiver,
  type SocketModeReceiverOptions,
} from '@slack/bolt';
import webApi, { type WebClient } from '@slack/web-api';
import type { Clock } from '../../ports/clock.ts';
import type { Logger } from '../../ports/logger.ts';
import type { Store } from '../../ports/store.ts';
import type { Reply } from '../../services/actor.ts';
import type { Dispatcher } from '../../services/dispatcher.ts';
import { homeMessage } from '../../services/home.ts';
import { withSlackMetrics } from '../../adapters/metrics/slack-client-metrics.ts';
import { NO_METRICS, type Metrics } from '../../ports/metrics.ts';
import type { IdlePolicy } from '../../domain/idle.ts';
import { parseActionId, toSlackMessage, unescapeSlackText } from './render-blocks.ts';
import { judgeRequest } from './request-shape.ts';
import { startSlackHttpServer } from './slack-http-server.ts';

const EVENTS_PATH = '/slack/events';

/** How long a command may take to answer in the acknowledgement itself (Slack allows 3 s). */
const ANSWER_IN_ACK_WITHIN_MS = 1000;
const ACTION_IDS = /^(cluster-down|cluster-keep|job-cancel|budget-approve)(:\d+)?$/;

export interface SlackSurfaceOptions {
  transport:
    | { kind: 'http'; signingSecret: string; port: number }
    | { kind: 'socket'; appToken: string; signingSecret: string | null };
  botToken: string;
  /** Web API base URL (tests point it at the fake Slack). */
  apiUrl: string | null;
  /**
   * The bot's ids when already known. Without them Bolt asks `auth.test` once (which also
   * proves the token works); benchmarks with no Web API at hand pass them.
   */
  identity?: { botId: string; botUserId: string };
  /** Where accepted request signatures are kept across restarts (HTTP only); null: memory only. */
  replayJournalPath?: string | null;
  dispatcher: Dispatcher;
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Slack 429s and retries, ack latency; absent: not counted. */
  metrics?: Metrics;
  /** The reaper's rule, for App Home's idle countdowns; null or absent when the reaper is off. */
  idlePolicy?: IdlePolicy | null;
}

/**
 * The Bolt app: thin listeners that acknowledge at once, parse, call the dispatcher and
 * render. HTTP and Socket Mode share every listener.
 */
export function createSlackApp(options: SlackSurfaceOptions) {
  const { dispatcher, store, clock, logger } = options;

  const metrics = options.metrics ?? NO_METRICS;
  const clientOptions = withSlackMetrics(
    {
      ...(options.apiUrl ? { slackApiUrl: options.apiUrl } : {}),
      // Set explicitly: Socket Mode's client otherwise writes `retries: 100` into this object,
      // and Bolt hands the same options to the clients our listeners use.
      retryConfig: { ...webApi.retryPolicies.tenRetriesInAboutThirtyMinutes },
      timeout: 30_000, // a call stuck on a half-open connection fails instead of hanging
    },
    metrics,
  );
  const receiver =
    options.transport.kind === 'http'
      ? new HTTPReceiver({
          signingSecret: options.transport.signingSecret,
          endpoints: EVENTS_PATH,
          logLevel: LogLevel.WARN,
          // Our server in front verifies every request it hands over (slack-http-server.ts).
          signatureVerification: false,
        })
      : undefined;
  const socketReceiver =
    options.transport.kind === 'socket'
      ? checkedSocketReceiver(options.transport.appToken, clientOptions, logger)
      : null;
  const app = new App({
    token: options.botToken,
    receiver: receiver ?? socketReceiver!,
    clientOptions,
    // Bolt's default in-memory conversation store is unused here, and costs every request a
    // thrown-and-caught Error ("Conversation not found").
    convoStore: false,
    logLevel: LogLevel.WARN,
    ...(options.identity ? { ...options.identity, tokenVerificationEnabled: false } : {}),
  });

  app.command('/mpi', async ({ command, ack, respond }) => {
    const receivedAt = performance.now();
    const acked = () => metrics.ackLatency((performance.now() - receivedAt) / 1000, 'command');
    const actor = { userId: command.user_id, displayName: command.user_name, channelId: command.channel_id };
    const work = dispatcher.command(actor, `/mpi ${unescapeSlackText(command.text)}`);
    const early = await settledWithinAckTime(work);
    if (early) {
      // Over HTTP the answer goes out as JSON text serialized once per reply (our server set
      // the JSON content type); Socket Mode wants the object inside its envelope.
      await ack(options.transport.kind === 'http' ? asJson(early) : asResponse(early));
      acked();
      return;
    }
    await ack({ response_type: 'ephemeral', text: 'Working on it…' });
    acked();
    await respond({ ...asResponse(await work), replace_original: true });
  });

  app.action(ACTION_IDS, async ({ ack, body, action, respond, client }) => {
    const receivedAt = performance.now();
    await ack();
    metrics.ackLatency((performance.now() - receivedAt) / 1000, 'action');
    if (action.type !== 'button' || !('action_id' in action)) return;
    const kind = parseActionId(action.action_id);
    if (!kind) return;
    const channelId = 'channel' in body && body.channel ? body.channel.id : 'app-home';
    const actor = { userId: body.user.id, displayName: body.user.name ?? body.user.id, channelId };
    const reply = await dispatcher.action(actor, kind, action.value ?? '');
    if ('response_url' in body && body.response_url) {
      await respond({ ...asResponse(reply), response_type: 'ephemeral', replace_original: false });
    } else {
      await publishHome(client, body.user.id, reply.message.text);
    }
  });

  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab === 'home') await publishHome(client, event.user, null);
  });

  app.error(async (error) => {
    logger.error('slack listener failed', { error: error.message, code: (error as { code?: string }).code });
  });

  async function publishHome(client: WebClient, userId: string, notice: string | null): Promise<void> {
    const view = toSlackMessage(
      homeMessage(store, userId, clock.nowInMs(), notice, options.idlePolicy ?? null),
    );
    await client.views.publish({ user_id: userId, view: { type: 'home', blocks: view.blocks } });
  }

  return {
    app,
    /** The Socket Mode connection (its events say whether Slack is connected); null over HTTP. */
    socket: socketReceiver?.socket ?? null,
    /** Starts listening: an HTTP server that refuses replays, or the Socket Mode connection. */
    async start(): Promise<{ stop(): Promise<void>; port: number | null }> {
      if (!receiver || options.transport.kind !== 'http') {
        await app.start();
        return {
          port: null,
          stop: async () => {
            await app.stop();
          },
        };
      }
      return startSlackHttpServer({
        receiver,
        signingSecret: options.transport.signingSecret,
        path: EVENTS_PATH,
        port: options.transport.port,
        journalPath: options.replayJournalPath ?? null,
        clock,
        logger,
      });
    },
  };
}

/** Rendered replies, by reply: a reply served again (a cached status) is not rendered again. */
const RENDERED = new WeakMap<Reply, ReturnType<typeof render>>();
const SERIALIZED = new WeakMap<Reply, string>();

function asJson(reply: Reply): string {
  let json = SERIALIZED.get(reply);
  if (json === undefined) {
    json = JSON.stringify(asResponse(reply));
    SERIALIZED.set(reply, json);
  }
  return json;
}

function asResponse(reply: Reply) {
  let rendered = RENDERED.get(reply);
  if (!rendered) {
    rendered = render(reply);
    RENDERED.set(reply, rendered);
  }
  return rendered;
}

function render(reply: Reply) {
  return {
    response_type: reply.visibility === 'channel' ? ('in_channel' as const) : ('ephemeral' as const),
    ...toSlackMessage(reply.message),
  };
}

/**
 * `work`'s result if it settles within ANSWER_IN_ACK_WITHIN_MS (give or take a tick of 50 ms), else
 * null. The deadlines share one ticking timer: under a burst of commands, a timer set and
 * cleared per command costs more than many of the answers (see `npm run bench`, ack latency).
 */
function settledWithinAckTime<T>(work: Promise<T>): Promise<T | null> {
  return new Promise((resolve) => {
    const waiting = {
      deadlineInMs: performance.now() + ANSWER_IN_ACK_WITHIN_MS,
      expire: () => resolve(null),
    };
    DEADLINES.add(waiting);
    DEADLINE_TICKER ??= setInterval(expireDeadlines, 50);
    void work.then(
      (value) => {
        DEADLINES.delete(waiting);
        resolve(value);
      },
      () => {
        DEADLINES.delete(waiting);
        resolve(null);
      },
    );
  });
}

/** Pending `settledWithinAckTime` deadlines, oldest first, and the timer that expires them. */
const DEADLINES = new Set<{ deadlineInMs: number; expire: () => void }>();
let DEADLINE_TICKER: NodeJS.Timeout | null = null;

function expireDeadlines(): void {
  const now = performance.now();
  for (const waiting of DEADLINES) {
    if (waiting.deadlineInMs > now) break; // one timeout for all: insertion order is deadline order
    DEADLINES.delete(waiting);
    waiting.expire();
  }
  if (DEADLINES.size === 0 && DEADLINE_TICKER) {
    clearInterval(DEADLINE_TICKER);
    DEADLINE_TICKER = null;
  }
}

/**
 * Socket Mode's receiver, handing Bolt only envelopes whose payload is a request mpibox serves
 * (see request-shape.ts). The others are acked empty, so Slack does not send them again: Bolt
 * would throw on a `null` payload, and our listeners would store a click without a user.
 */
function checkedSocketReceiver(
  appToken: string,
  clientOptions: NonNullable<SocketModeReceiverOptions['installerOptions']>['clientOptions'],
  logger: Logger,
): Receiver & { socket: SocketModeReceiver['client'] } {
  const inner = new SocketModeReceiver({
    appToken,
    logLevel: LogLevel.WARN,
    installerOptions: { clientOptions },
    // A frame without an envelope id (junk) has nothing to acknowledge.
    customPropertiesExtractor: (args) => ({ envelopeId: args.envelope_id as unknown }),
  });
  return {
    init: (app) => {
      // The receiver calls nothing of the app but processEvent (Bolt 5).
      const checked: Pick<App, 'processEvent'> = {
        processEvent: async (event) => {
          const verdict = judgeRequest(event.body as unknown);
          if (verdict.kind === 'serve') return app.processEvent(event);
          if (verdict.kind === 'malformed')
            logger.warn('malformed slack request refused', { problem: verdict.problem, transport: 'socket' });
          if (typeof event.customProperties?.envelopeId === 'string') await event.ack();
        },
      };
      inner.init(checked as App);
    },
    start: () => inner.start(),
    stop: () => inner.stop(),
    /** The Socket Mode connection, whose events tell whether Slack is connected (health). */
    socket: inner.client,
  };
}
