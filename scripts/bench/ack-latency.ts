import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_SIGNING_SECRET } from './ack-secret.ts';

const CONCURRENT = 200;
const ROUNDS = 10;
const TRIALS = 9;

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
  const signature = `v0=${createHmac('sha256', BENCH_SIGNING_SECRET).update(`v0:${timestamp}:${body}`).digest('hex')}`;
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

interface Server {
  port: number;
  /** The server process's CPU time so far (user + system), in µs. */
  cpuInUs(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts one side of the comparison in its own process. */
function startServer(side: 'bare' | 'mpibox'): Promise<Server> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'ack-server.ts');
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', script, side], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    let cpuWaiters: ((value: number) => void)[] = [];
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      for (let match = /cpu (\d+)\n/.exec(output); match; match = /cpu (\d+)\n/.exec(output)) {
        output = output.slice(match.index + match[0].length);
        cpuWaiters.shift()?.(Number(match[1]));
      }
      const match = /port (\d+)\n/.exec(output);
      if (match) {
        output = output.slice(match.index + match[0].length);
        resolve({
          port: Number(match[1]),
          cpuInUs: () =>
            new Promise((answer) => {
              cpuWaiters = [...cpuWaiters, answer];
              child.stdin.write('cpu\n');
            }),
          stop: () =>
            new Promise((done) => {
              child.on('exit', () => done());
              child.stdin.end();
            }),
        });
      }
    });
    child.on('exit', (code) => reject(new Error(`${side} server exited with ${code}`)));
  });
}

/**
 * 200 concurrent signed `/mpi status` commands against mpibox's HTTP receiver, next to a bare
 * Bolt app acknowledging the same requests with a fixed text, each server in its own process,
 * in the same run.
 */
export async function benchAckLatency(): Promise<void> {
  const [bare, mpibox] = await Promise.all([startServer('bare'), startServer('mpibox')]);
  try {
    for (let warmUp = 0; warmUp < 5; warmUp += 1) {
      // Warm-up bursts (JIT, connection pools, caches) are not counted.
      await burst(bare.port);
      await burst(mpibox.port);
    }
    const ms = (value: number) => `${value.toFixed(0)} ms`;
    console.log(
      `slash command ack latency, ${TRIALS} trials of ${ROUNDS} bursts of ${CONCURRENT} concurrent signed /mpi status:`,
    );
    const ratios: number[] = [];
    const cpu = { bare: 0, mpibox: 0 };
    for (let trial = 1; trial <= TRIALS; trial += 1) {
      const base: number[] = [];
      const mine: number[] = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        // Alternate which goes first, so neither always runs on a machine the other just heated.
        const order = round % 2 === 0 ? [bare, mpibox] : [mpibox, bare];
        for (const side of order) {
          const before = await side.cpuInUs();
          (side === bare ? base : mine).push(...(await burst(side.port)));
          cpu[side === bare ? 'bare' : 'mpibox'] += (await side.cpuInUs()) - before;
        }
      }
      const ratio = percentile(mine, 99) / percentile(base, 99);
      ratios.push(ratio);
      console.log(
        `  trial ${trial}: bare Bolt p50 ${ms(percentile(base, 50))} p99 ${ms(percentile(base, 99))}; ` +
          `mpibox p50 ${ms(percentile(mine, 50))} p99 ${ms(percentile(mine, 99))}; p99 ratio ${ratio.toFixed(2)}`,
      );
    }
    console.log(
      `  median p99 ratio mpibox / bare: ${percentile(ratios, 50).toFixed(2)}  (target <= 1.5, and well under 3 s)`,
    );
    // Server CPU per request: less noisy than latency on a shared machine, and what p99 follows
    // (a burst's last answer waits for all the others on one event loop).
    const perRequest = (total: number) => total / (TRIALS * ROUNDS * CONCURRENT);
    console.log(
      `  server CPU per request: bare Bolt ${perRequest(cpu.bare).toFixed(0)} µs, ` +
        `mpibox ${perRequest(cpu.mpibox).toFixed(0)} µs (ratio ${(cpu.mpibox / cpu.bare).toFixed(2)})`,
    );
  } finally {
    await Promise.all([bare.stop(), mpibox.stop()]);
  }
}
