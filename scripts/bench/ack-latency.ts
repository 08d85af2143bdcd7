import { createHmac } from 'node:crypto';
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

const CONCURRENT = 200;
const ROUNDS = 5;
const SECRET = 'bench-signing-secret';

/** Chat that does nothing (status answers in the acknowledgement; no Web API call). */
const quietChat: Chat = {
  post: async (channelId: string): Promise<MessageRef> => ({ channelId, messageId: '1' }),
  update: async () => undefined,
  ephemeral: async () => undefined,
  attach: async () => undefined,
};

function signedStatus(index: number): { body: string; headers: Record<string, string> } {
  const body = new URLSearchParams({
    token: 'legacy',
    team_id: 'T1',
    channel_id: 'CBENCH',
    user_id: `U${index % 20}`,
    user_name: `user${index % 20}`,
    command: '/mpi',
    text: 'status',
    response_url: 'http://127.0.0.1:9/response',
    trigger_id: `t${index}.${Math.random()}`, // a fresh body each time: signatures never repeat
  }).toString();
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = `v0=${createHmac('sha256', SECRET).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return {
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': signature,
    },
  };
}

async function burst(port: number): Promise<number[]> {
  const requests = Array.from({ length: CONCURRENT }, (_, index) => signedStatus(index));
  return Promise.all(
    requests.map(async ({ body, headers }) => {
      const started = performance.now();
      const response = await fetch(`http://127.0.0.1:${port}/slack/events`, {
        method: 'POST',
        headers,
        body,
      });
      await response.text();
      if (response.status !== 200) throw new Error(`HTTP ${response.status} from port ${port}`);
      return performance.now() - started;
    }),
  );
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/**
 * 200 concurrent signed `/mpi status` commands against mpibox's HTTP receiver, next to a bare
 * Bolt app that acknowledges the same requests with a fixed text, in the same run.
 */
export async function benchAckLatency(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpibox-bench-ack-'));
  const loaded = loadConfig(
    { MPIBOX_DATA_DIR: dataDir, MPIBOX_LOCAL_BASE_PORT: '10960', USER: 'bench' },
    process.cwd(),
  );
  if (!loaded.ok) throw new Error(loaded.message);
  const clock = new SystemClock();
  const logger = new JsonLogger('error');
  const app = buildApp(loaded.config, { chat: quietChat, clock, logger });
  await app.dispatcher.command({ userId: 'U0', displayName: 'u0', channelId: 'CBENCH' }, '/mpi up 1 bench');
  await app.idle();
  const mpibox = createSlackApp({
    transport: { kind: 'http', signingSecret: SECRET, port: 0 },
    botToken: 'xoxb-bench',
    apiUrl: 'http://127.0.0.1:9/api/',
    identity: { botId: 'B1', botUserId: 'UBOT' },
    dispatcher: app.dispatcher,
    store: app.store,
    clock,
    logger,
  });
  const mpiboxServer = await mpibox.start();

  const bareReceiver = new bolt.HTTPReceiver({
    signingSecret: SECRET,
    endpoints: '/slack/events',
    logLevel: bolt.LogLevel.ERROR,
  });
  const bare = new bolt.App({
    token: 'xoxb-bench',
    receiver: bareReceiver,
    logLevel: bolt.LogLevel.ERROR,
    botId: 'B1',
    botUserId: 'UBOT',
    tokenVerificationEnabled: false,
  });
  bare.command('/mpi', async ({ ack }) => {
    await ack({ response_type: 'ephemeral', text: 'ok' });
  });
  const bareServer = (await bare.start(0)) as import('node:http').Server;
  const barePort = (bareServer.address() as { port: number }).port;

  const mine: number[] = [];
  const base: number[] = [];
  await burst(barePort); // warm-up bursts (JIT, connection pools) are not counted
  await burst(mpiboxServer.port ?? 0);
  for (let round = 0; round < ROUNDS; round += 1) {
    // Alternate which goes first, so neither always inherits the other's garbage.
    if (round % 2 === 0) {
      base.push(...(await burst(barePort)));
      mine.push(...(await burst(mpiboxServer.port ?? 0)));
    } else {
      mine.push(...(await burst(mpiboxServer.port ?? 0)));
      base.push(...(await burst(barePort)));
    }
  }
  const ms = (value: number) => `${value.toFixed(0)} ms`;
  console.log(`slash command ack latency, ${ROUNDS} bursts of ${CONCURRENT} concurrent signed /mpi status:`);
  console.log(`  bare Bolt app:   p50 ${ms(percentile(base, 50))}  p99 ${ms(percentile(base, 99))}`);
  console.log(`  mpibox:          p50 ${ms(percentile(mine, 50))}  p99 ${ms(percentile(mine, 99))}`);
  console.log(
    `  ratio p99 mpibox / bare: ${(percentile(mine, 99) / percentile(base, 99)).toFixed(2)}  (target <= 1.5, and well under 3 s)`,
  );

  await mpiboxServer.stop();
  await bare.stop();
  await app.dispatcher.command(
    { userId: 'U0', displayName: 'u0', channelId: 'CBENCH' },
    '/mpi down bench --yes',
  );
  await app.idle();
  app.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
