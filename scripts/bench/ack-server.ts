/**
 * One side of the ack-latency benchmark, in its own process (own event loop and heap, as a
 * real deployment has): `bare` is a Bolt app acknowledging `/mpi` with a fixed text; `mpibox`
 * is mpibox's Slack surface with a one-node local cluster. Prints `port <n>`, serves until
 * stdin closes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import bolt from '@slack/bolt';
import { JsonLogger } from '../../src/adapters/system/json-logger.ts';
import { SystemClock } from '../../src/adapters/system/system-clock.ts';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import type { Chat, MessageRef } from '../../src/ports/chat.ts';
import { createSlackApp } from '../../src/surfaces/slack/slack-app.ts';

import { BENCH_SIGNING_SECRET } from './ack-secret.ts';
const IDENTITY = { botId: 'B1', botUserId: 'UBOT' };

/** Chat that does nothing (status answers in the acknowledgement; no Web API call). */
const quietChat: Chat = {
  post: async (channelId: string): Promise<MessageRef> => ({ channelId, messageId: '1' }),
  update: async () => undefined,
  ephemeral: async () => undefined,
  attach: async () => undefined,
};

async function serveBare(): Promise<{ port: number; stop: () => Promise<void> }> {
  const receiver = new bolt.HTTPReceiver({
    signingSecret: BENCH_SIGNING_SECRET,
    endpoints: '/slack/events',
    logLevel: bolt.LogLevel.ERROR,
  });
  const app = new bolt.App({
    token: 'xoxb-bench',
    receiver,
    logLevel: bolt.LogLevel.ERROR,
    ...IDENTITY,
    tokenVerificationEnabled: false,
  });
  app.command('/mpi', async ({ ack }) => {
    await ack({ response_type: 'ephemeral', text: 'ok' });
  });
  const server = (await app.start(0)) as import('node:http').Server;
  return { port: (server.address() as { port: number }).port, stop: () => app.stop().then(() => undefined) };
}

async function serveMpibox(): Promise<{ port: number; stop: () => Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpibox-bench-ack-'));
  const loaded = loadConfig(
    { MPIBOX_DATA_DIR: dataDir, MPIBOX_LOCAL_BASE_PORT: '10960', USER: 'bench' },
    process.cwd(),
  );
  if (!loaded.ok) throw new Error(loaded.message);
  const clock = new SystemClock();
  const logger = new JsonLogger('error');
  const app = buildApp(loaded.config, { chat: quietChat, clock, logger });
  const owner = { userId: 'U0', displayName: 'u0', channelId: 'CBENCH' };
  await app.dispatcher.command(owner, '/mpi up 1 bench');
  await app.idle();
  const slack = createSlackApp({
    transport: { kind: 'http', signingSecret: BENCH_SIGNING_SECRET, port: 0 },
    botToken: 'xoxb-bench',
    apiUrl: 'http://127.0.0.1:9/api/',
    replayJournalPath: path.join(dataDir, 'slack-signatures'), // as main.ts does
    identity: IDENTITY,
    dispatcher: app.dispatcher,
    store: app.store,
    clock,
    logger,
  });
  const server = await slack.start();
  return {
    port: server.port ?? 0,
    stop: async () => {
      await server.stop();
      await app.dispatcher.command(owner, '/mpi down bench --yes');
      await app.idle();
      app.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

if (process.argv[1]?.endsWith('ack-server.ts')) {
  const side = process.argv[2] === 'mpibox' ? await serveMpibox() : await serveBare();
  process.stdout.write(`port ${side.port}\n`);
  // Each line on stdin asks for this process's CPU time so far (user + system, µs).
  process.stdin.setEncoding('utf8').on('data', (chunk: string) => {
    for (let lines = chunk.split('\n').length - 1; lines > 0; lines -= 1) {
      const { user, system } = process.cpuUsage();
      process.stdout.write(`cpu ${user + system}\n`);
    }
  });
  process.stdin.on('end', () => {
    void side.stop().then(() => process.exit(0));
  });
}
