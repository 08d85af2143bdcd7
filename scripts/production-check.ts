/**
 * What the container does, done outside Docker (this machine has no Docker engine): a
 * production install (no dev dependencies) into a fresh folder, the bot started there in local
 * mode, `/healthz` answering 200 and `/metrics` parsing as Prometheus text, and SIGTERM ending
 * it with status 0 within 10 s. Run by `scripts/dev.sh test` after the suite; exits non-zero on
 * any failure.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePromText, sampleValue } from '../src/adapters/metrics/fixtures.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mpibox-production-'));
const fail = (why: string): never => {
  process.stderr.write(`production check: FAILED: ${why}\n`);
  process.exit(1);
};
const step = (what: string) => process.stdout.write(`production check: ${what}\n`);

// The files the Dockerfile copies.
for (const entry of ['package.json', 'package-lock.json', 'manifest.yml', 'src', 'scripts'])
  fs.cpSync(path.join(root, entry), path.join(work, entry), { recursive: true });
step(`npm ci --omit=dev in ${work}`);
execFileSync('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error'], {
  cwd: work,
  stdio: ['ignore', 'inherit', 'inherit'],
});
if (fs.existsSync(path.join(work, 'node_modules', 'vitest'))) fail('a dev dependency was installed');

const port = await new Promise<number>((resolve) => {
  const server = net.createServer().listen(0, '127.0.0.1', () => {
    const { port: free } = server.address() as net.AddressInfo;
    server.close(() => resolve(free));
  });
});
const bot = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'src/main.ts'], {
  cwd: work,
  env: {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? work,
    NODE_ENV: 'production',
    MPIBOX_DATA_DIR: path.join(work, 'data'),
    MPIBOX_METRICS_PORT: String(port),
    MPIBOX_METRICS_HOST: '127.0.0.1',
    MPIBOX_PRICES_URL: 'off',
  },
  stdio: ['pipe', 'ignore', 'pipe'],
});
let stderr = '';
bot.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
const exited = new Promise<number | null>((resolve) => bot.on('exit', (code) => resolve(code)));

const base = `http://127.0.0.1:${port}`;
let health: Response | null = null;
for (const deadline = Date.now() + 30_000; Date.now() < deadline && bot.exitCode === null;) {
  health = await fetch(`${base}/healthz`).catch(() => null);
  if (health?.status === 200) break;
  await new Promise((resolve) => setTimeout(resolve, 200));
}
if (health?.status !== 200) fail(`/healthz answered ${health?.status ?? 'nothing'}\n${stderr}`);
step(`/healthz 200 ${await health!.text()}`);
const metrics = await fetch(`${base}/metrics`);
const families = parsePromText(await metrics.text());
if (
  !families.has('mpibox_commands_total') ||
  sampleValue(families, 'mpibox_estimated_spend_usd_per_hour') === undefined
)
  fail('/metrics lacks mpibox series');
step(`/metrics parses: ${families.size} families`);

const signalledAt = Date.now();
bot.kill('SIGTERM');
const code = await Promise.race([
  exited,
  new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 10_000)),
]);
if (code === 'late') {
  bot.kill('SIGKILL');
  fail('still running 10 s after SIGTERM');
}
if (code !== 0) fail(`exit status ${code} after SIGTERM\n${stderr}`);
step(`SIGTERM: exit 0 after ${Date.now() - signalledAt} ms`);
fs.rmSync(work, { recursive: true, force: true });
