import net from 'node:net';
import Database from 'better-sqlite3';
import path from 'node:path';
import {
  blockActionBody,
  homeActionBody,
  signSlackRequest,
  slashCommandBody,
  startFakeSlack,
} from '../fake-slack/index.ts';
import type { StoredMessage } from '../fake-slack/index.ts';
import { BotProcess } from './bot-process.ts';
import { makeTempDir, testBasePort } from './local-fixtures.ts';

export const SIGNING_SECRET = 'e2e-signing-secret';

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The real bot (src/main.ts) in Slack HTTP mode, talking to a fake Slack. */
export async function startSlackBot(
  name: string,
  offset: number,
  fakeOptions: Parameters<typeof startFakeSlack>[0] = {},
  /** More settings for the bot (reaper timings, say). */
  extraEnv: Record<string, string> = {},
) {
  const fake = await startFakeSlack(fakeOptions);
  const dataDir = makeTempDir(`mpibox-slack-${name}`);
  const port = await freePort();
  const bot = new BotProcess({
    MPIBOX_DATA_DIR: dataDir,
    // Tests reach 127.0.0.1 only: prices come from the shipped snapshot.
    MPIBOX_PRICES_URL: 'off',
    MPIBOX_LOCAL_BASE_PORT: String(testBasePort(offset)),
    SLACK_BOT_TOKEN: fake.token,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    MPIBOX_HTTP_PORT: String(port),
    ...extraEnv,
  });
  for (let round = 0; round < 200 && !/mpibox started/.test(bot.stderr); round += 1) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const url = `http://127.0.0.1:${port}/slack/events`;

  /** POSTs a signed request; `sign` lets a test break the signature or the clock. */
  async function post(
    body: string,
    sign: (body: string) => Record<string, string> = (b) => ({ ...signSlackRequest(SIGNING_SECRET, b) }),
  ) {
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      ...sign(body),
    };
    const started = performance.now();
    const response = await fetch(url, { method: 'POST', headers, body });
    const text = await response.text();
    return { status: response.status, text, ms: performance.now() - started, headers };
  }

  let responseIds = 0;
  return {
    fake,
    bot,
    dataDir,
    url,
    post,
    /** A signed `/mpi …` as Slack sends it; returns the HTTP answer and its response_url id. */
    async slash(text: string, user = 'U1', channel = 'C1') {
      const responseId = `r${(responseIds += 1)}`;
      const body = slashCommandBody({
        text,
        user_id: user,
        channel_id: channel,
        response_url: fake.responseUrl(responseId),
      });
      return { ...(await post(body)), responseId, body };
    },
    /** A signed button click on `message`. */
    async click(message: StoredMessage, actionId: string, value: string, user = 'U1', channel = 'C1') {
      const responseId = `r${(responseIds += 1)}`;
      const body = blockActionBody({
        user_id: user,
        channel_id: channel,
        action_id: actionId,
        value,
        message,
        response_url: fake.responseUrl(responseId, { channel, ts: message.ts }),
      });
      return { ...(await post(body)), responseId };
    },
    /** A signed button click in the user's App Home view. */
    async clickInHome(view: { blocks: unknown[] }, actionId: string, value: string, user: string) {
      return post(homeActionBody({ user_id: user, action_id: actionId, value, view }));
    },
    /** Rows of the bot's audit log by `user` (read-only; the bot keeps writing). */
    auditOf(user: string): { text: string; result: string }[] {
      const db = new Database(path.join(dataDir, 'mpibox.db'), { readonly: true });
      try {
        return db.prepare('SELECT text, result FROM audit_log WHERE user_id = ? ORDER BY id').all(user) as {
          text: string;
          result: string;
        }[];
      } finally {
        db.close();
      }
    },
    async stop() {
      if (bot.child.exitCode === null) {
        bot.child.kill('SIGTERM');
        await bot.exited;
      }
      await fake.close();
    },
  };
}

/** Every row of every table of the bot's store: what "the store is unchanged" compares. */
export function dumpStore(dataDir: string): Record<string, unknown[]> {
  const db = new Database(path.join(dataDir, 'mpibox.db'), { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
      name: string;
    }[];
    return Object.fromEntries(tables.map(({ name }) => [name, db.prepare(`SELECT * FROM "${name}"`).all()]));
  } finally {
    db.close();
  }
}

let describeState: (() => string) | null = null;

/** What `eventually` prints when it gives up (the fake's messages, the bot's log). */
export function onTimeoutDescribe(describe: () => string): void {
  describeState = describe;
}

/** Waits until `find` returns something (polling), or fails with `what`. */
export async function eventually<T>(
  find: () => T | null | undefined | false,
  what: string,
  timeoutInMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutInMs;
  for (;;) {
    const found = find();
    if (found) return found;
    if (Date.now() > deadline)
      throw new Error(`never happened: ${what}${describeState ? `\n${describeState()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
