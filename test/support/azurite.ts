import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Azurite's well-known development account (public, documented; not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** A running Azurite Blob service on 127.0.0.1. */
export interface Azurite {
  /** The listening port (chosen by the OS). */
  port: number;
  /** The account's blob endpoint, e.g. http://127.0.0.1:PORT/devstoreaccount1. */
  blobUrl: string;
  /** The dev account's connection string for this endpoint. */
  connectionString: string;
  /** Kills Azurite and removes its data folder. Idempotent. */
  stop(): Promise<void>;
}

/** Serve https with this certificate (and enable OAuth: bearer tokens and user delegation keys). */
export interface AzuriteTls {
  certPem: string;
  keyPem: string;
}

/** The dev account's connection string for an Azurite blob endpoint on 127.0.0.1:`port`. */
export function azuriteConnectionString(port: number, protocol: 'http' | 'https' = 'http'): string {
  return (
    `DefaultEndpointsProtocol=${protocol};AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_ACCOUNT_KEY};` +
    `BlobEndpoint=${protocol}://127.0.0.1:${port}/${AZURITE_ACCOUNT};`
  );
}

const STARTUP_TIMEOUT_IN_MS = 20_000;
const LISTENING = /successfully listens on (https?):\/\/127\.0\.0\.1:(\d+)/;

/**
 * Starts `azurite-blob` from node_modules on 127.0.0.1 with a port the OS picks (`--blobPort 0`,
 * read back from its startup line, so no race for a "free" port), a temporary data folder,
 * telemetry off (Azurite otherwise reports to Application Insights), no access or debug log,
 * any API version and unknown headers accepted. Resolves once it answers HTTP.
 */
export async function startAzurite(tls?: AzuriteTls): Promise<Azurite> {
  const location = fs.mkdtempSync(path.join(os.tmpdir(), 'mpibox-azurite-'));
  const args = ['--blobHost', '127.0.0.1', '--blobPort', '0', '--location', location];
  args.push('--silent', '--skipApiVersionCheck', '--loose', '--disableTelemetry');
  if (tls) {
    fs.writeFileSync(path.join(location, 'cert.pem'), tls.certPem);
    fs.writeFileSync(path.join(location, 'key.pem'), tls.keyPem, { mode: 0o600 });
    args.push(
      '--cert',
      path.join(location, 'cert.pem'),
      '--key',
      path.join(location, 'key.pem'),
      '--oauth',
      'basic',
    );
  }
  // The .bin entry is a `#!/usr/bin/env node` script: run it with this process's node instead.
  const main = fs.realpathSync(
    fileURLToPath(new URL('../../node_modules/.bin/azurite-blob', import.meta.url)),
  );
  const child = spawn(process.execPath, [main, ...args], {
    cwd: location,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: location },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', killOnExit);
    await kill(child);
    fs.rmSync(location, { recursive: true, force: true });
  };
  try {
    const { protocol, port } = await listeningAddress(child);
    const blobUrl = `${protocol}://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
    await answers(blobUrl, tls?.certPem);
    return { port, blobUrl, connectionString: azuriteConnectionString(port, protocol), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Reads Azurite's output until its "listens on" line; rejects if it exits or takes too long. */
function listeningAddress(child: ChildProcess): Promise<{ protocol: 'http' | 'https'; port: number }> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => fail(new Error(`azurite did not start: ${output}`)),
      STARTUP_TIMEOUT_IN_MS,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = LISTENING.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      resolve({ protocol: match[1] === 'https' ? 'https' : 'http', port: Number(match[2]) });
    };
    const onExit = (code: number | null) => fail(new Error(`azurite exited (${code}): ${output}`));
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    // Kept flowing after the start, so a chatty Azurite never blocks on a full pipe.
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Resolves when a request to `url` gets any HTTP answer (400s included). */
async function answers(url: string, ca?: string): Promise<void> {
  const started = Date.now();
  for (;;) {
    const answered = await new Promise<boolean>((resolve) => {
      const request = (url.startsWith('https:') ? https : http).get(url, ca ? { ca } : {}, (response) => {
        response.resume();
        resolve(true);
      });
      request.on('error', () => resolve(false));
    });
    if (answered) return;
    if (Date.now() - started > STARTUP_TIMEOUT_IN_MS) throw new Error('azurite does not answer');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** SIGTERM, then SIGKILL if it has not exited within 3 s; resolves when it has exited. */
async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}
