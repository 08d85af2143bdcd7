import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import {
  AccountSASPermissions,
  StorageSharedKeyCredential,
  generateAccountSASQueryParameters,
} from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  blobJobArchiveFromAccountUrl,
  blobJobArchiveFromConnectionString,
  type BlobJobArchiveOptions,
} from '../src/adapters/archive/blob-job-archive.ts';
import {
  FolderJobArchive,
  md5OfFile,
  verifyArchivedCopy,
} from '../src/adapters/archive/folder-job-archive.ts';
import { SystemClock } from '../src/adapters/system/system-clock.ts';
import { MpiboxError } from '../src/domain/errors.ts';
import { archiveBlobName, archiveContainerName, type ArchiveKey } from '../src/ports/job-archive.ts';
import { MemoryLogger } from './fakes/harness.ts';
import { AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY, startAzurite, type Azurite } from './support/azurite.ts';
import { makeSelfSignedCert, type SelfSignedCert } from './support/tls.ts';

const MiB = 1 << 20;

/** What the fault proxy does to the next requests of a kind. */
interface FaultPlan {
  /** Answer this many Put Block requests with `status` (default 500) without forwarding them. */
  failBlocks: number;
  failStatus: number;
  /** Flip one byte in the body of this many Put Block requests (Content-MD5 left as sent). */
  flipBlocks: number;
  /** Swap the first two block ids in this many Put Block List bodies (same length, so the signature holds). */
  swapCommits: number;
}

/**
 * A tiny HTTP proxy on 127.0.0.1 in front of Azurite that misbehaves on request: it fails,
 * corrupts or reorders what the SDK sends. The shared-key signature covers headers, not the
 * body, so a corrupted body still authenticates, as on a real network.
 */
async function startFaultProxy(azurite: Azurite) {
  const plan: FaultPlan = { failBlocks: 0, failStatus: 500, flipBlocks: 0, swapCommits: 0 };
  const seen = { blockPuts: 0, commits: 0, failed: 0, flipped: 0, swapped: 0 };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let body = Buffer.concat(chunks);
      const comp = new URL(request.url ?? '/', 'http://proxy').searchParams.get('comp');
      if (request.method === 'PUT' && comp === 'block') {
        seen.blockPuts += 1;
        if (plan.failBlocks > 0) {
          plan.failBlocks -= 1;
          seen.failed += 1;
          response.writeHead(plan.failStatus, {
            'content-type': 'application/xml',
            'x-ms-error-code': 'InternalError',
          });
          response.end('<?xml version="1.0" encoding="utf-8"?><Error><Code>InternalError</Code></Error>');
          return;
        }
        if (plan.flipBlocks > 0 && body.length > 0) {
          plan.flipBlocks -= 1;
          seen.flipped += 1;
          body = Buffer.from(body);
          body[body.length >> 1] = (body[body.length >> 1] ?? 0) ^ 0xff;
        }
      }
      if (request.method === 'PUT' && comp === 'blocklist') {
        seen.commits += 1;
        const ids = [...body.toString('utf8').matchAll(/<Latest>([^<]*)<\/Latest>/g)].map(
          (match) => match[1] ?? '',
        );
        if (plan.swapCommits > 0 && ids.length >= 2) {
          plan.swapCommits -= 1;
          seen.swapped += 1;
          const text = body.toString('utf8');
          const [first, second] = [ids[0] ?? '', ids[1] ?? ''];
          body = Buffer.from(
            text.replace(first, '\u0000').replace(second, first).replace('\u0000', second),
            'utf8',
          );
        }
      }
      const upstream = http.request(
        {
          host: '127.0.0.1',
          port: azurite.port,
          method: request.method,
          path: request.url,
          headers: request.headers,
        },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      upstream.on('error', () => response.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    plan,
    seen,
    connectionString: azurite.connectionString.replace(`:${azurite.port}/`, `:${port}/`),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A few MB of random bytes plus sequences that are not UTF-8 (lone continuation, overlong, 0xFF, NUL, CR). */
function awkwardBytes(sizeInBytes: number): Buffer {
  const bytes = randomBytes(sizeInBytes);
  Buffer.from([0x80, 0xc0, 0xaf, 0xff, 0xfe, 0x00, 0x0d, 0xed, 0xa0, 0x80, 0xf8]).copy(bytes, 0);
  return bytes;
}

/** Writes `sizeInBytes` random bytes in 1 MiB pieces (never the whole file in memory); returns its MD5. */
function writeLargeLog(filePath: string, sizeInBytes: number): string {
  const hash = createHash('md5');
  const piece = Buffer.alloc(MiB);
  const fd = fs.openSync(filePath, 'w');
  for (let written = 0; written < sizeInBytes; written += MiB) {
    const length = Math.min(MiB, sizeInBytes - written);
    randomFillSync(piece, 0, length);
    hash.update(piece.subarray(0, length));
    fs.writeSync(fd, piece, 0, length);
  }
  fs.closeSync(fd);
  return hash.digest('base64');
}

/** Streams a URL through MD5 (plain fetch, or https.get trusting `ca`). */
async function download(url: string, ca?: string): Promise<{ status: number; bytes: Buffer }> {
  if (!ca) {
    const response = await fetch(url);
    return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()) };
  }
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, bytes: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

async function downloadMd5(url: string): Promise<{ status: number; sizeInBytes: number; md5Base64: string }> {
  const response = await fetch(url);
  const hash = createHash('md5');
  let sizeInBytes = 0;
  for await (const chunk of response.body ?? []) {
    hash.update(chunk);
    sizeInBytes += chunk.length;
  }
  return { status: response.status, sizeInBytes, md5Base64: hash.digest('base64') };
}

/**
 * A bearer token Azurite's `--oauth basic` accepts: an unsigned JWT for Storage (it checks
 * issuer, audience and lifetime, not the signature). Never asks Entra ID for anything.
 */
function fakeEntraCredential(): TokenCredential {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  return {
    async getToken(): Promise<AccessToken> {
      const nowInSeconds = Math.floor(Date.now() / 1000);
      const claims = {
        aud: 'https://storage.azure.com',
        iss: `https://sts.windows.net/${tenant}/`,
        iat: nowInSeconds - 60,
        nbf: nowInSeconds - 60,
        exp: nowInSeconds + 3600,
        oid: '0b6f1e0c-6a5e-4c4a-9a55-4bd5ae1f6f3e',
        tid: tenant,
      };
      const token = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode(claims)}.c2lnbmF0dXJl`;
      return { token, expiresOnTimestamp: (nowInSeconds + 3600) * 1000, tokenType: 'Bearer' };
    },
  };
}

function key(jobId: number, team = 'Lab A'): ArchiveKey {
  return { team, clusterName: 'demo', clusterId: 'c-0a1b2c', jobId };
}

async function rejection(promise: Promise<unknown>): Promise<MpiboxError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(MpiboxError);
  return error as MpiboxError;
}

describe('archive names', () => {
  it('gives each team a valid container of its own and each job a blob under its cluster', () => {
    const names = ['lab-a', 'Lab A', 'lab a', 'T024BE7LD', '', '--', 'x'.repeat(80), 'Ünïcode ☃ team'];

    const containers = names.map(archiveContainerName);

    for (const container of containers) expect(container).toMatch(/^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(new Set(containers).size).toBe(names.length);
    expect(archiveContainerName('lab-a')).toBe('mpibox-lab-a');
    expect(archiveBlobName(key(42))).toBe('demo-c-0a1b2c/job-42.log');
    expect(archiveBlobName({ team: 't', clusterName: '../x', clusterId: 'a/b', jobId: 1 })).toBe(
      '.._x-a_b/job-1.log',
    );
    expect(() => archiveBlobName({ ...key(1), jobId: 1.5 })).toThrow(TypeError);
  });
});

/**
 * The blob archive against Azurite (started and stopped here, on a port the OS picks): byte
 * exact round trips, ranged reads, idempotent stores, read links that expire, retries through
 * a failing proxy, corruption caught, memory bounded on a 200 MB log, and the Entra ID path
 * (user delegation links) on an https Azurite.
 */
describe('BlobJobArchive on Azurite', () => {
  let azurite: Azurite;
  let proxy: Awaited<ReturnType<typeof startFaultProxy>>;
  let work: string;
  const logger = new MemoryLogger();
  const options: BlobJobArchiveOptions = {
    clock: new SystemClock(),
    logger,
    blockSizeInBytes: MiB,
    concurrency: 4,
    maxAttempts: 4,
    retryDelayInMs: 5,
    maxRetryDelayInMs: 20,
  };
  const direct = () => blobJobArchiveFromConnectionString(azurite.connectionString, options);
  const proxied = () => blobJobArchiveFromConnectionString(proxy.connectionString, options);
  const logFile = (name: string, bytes: Buffer) => {
    const file = path.join(work, name);
    fs.writeFileSync(file, bytes);
    return file;
  };

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'mpibox-archive-'));
    azurite = await startAzurite();
    proxy = await startFaultProxy(azurite);
  });

  afterAll(async () => {
    await proxy?.close();
    await azurite?.stop();
    fs.rmSync(work, { recursive: true, force: true });
    // Log lines carry codes and locations only: never the key, a signature or a SAS.
    const lines = JSON.stringify(logger.lines);
    expect(lines).not.toContain(AZURITE_ACCOUNT_KEY);
    expect(lines).not.toMatch(/sig=|AccountKey|SharedKey/);
  });

  it('streams a 200 MB log up and back byte for byte with the process growing by far less than the log', async () => {
    const file = path.join(work, 'big.log');
    const md5Base64 = writeLargeLog(file, 200_000_000);
    // The production defaults: 4 MiB blocks, 4 at once.
    const archive = blobJobArchiveFromConnectionString(azurite.connectionString, {
      ...options,
      blockSizeInBytes: undefined,
      concurrency: undefined,
    });
    let peakRss = process.memoryUsage().rss;
    const before = peakRss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 10);

    const stored = await archive
      .store({ key: key(1), localPath: file })
      .finally(() => clearInterval(sampler));

    expect(archiveContainerName('Lab A')).toMatch(/^mpibox-lab-a-[0-9a-f]{8}$/);
    expect(stored).toEqual({
      location: `${archiveContainerName('Lab A')}/demo-c-0a1b2c/job-1.log`,
      sizeInBytes: 200_000_000,
      md5Base64,
      alreadyStored: false,
    });
    expect(peakRss - before).toBeLessThan(64 * MiB);
    const link = await archive.readLink(key(1), 60_000);
    expect(await downloadMd5(link ?? '')).toEqual({ status: 200, sizeInBytes: 200_000_000, md5Base64 });
    fs.rmSync(file);
  });

  it('round-trips random bytes that are not UTF-8 exactly, and reads ranges of them', async () => {
    const bytes = awkwardBytes(3 * MiB + 123);
    const archive = direct();

    const stored = await archive.store({ key: key(2), localPath: logFile('awkward.log', bytes) });

    expect(stored.sizeInBytes).toBe(bytes.length);
    expect(stored.md5Base64).toBe(createHash('md5').update(bytes).digest('base64'));
    expect((await archive.read(key(2), 0, bytes.length)).equals(bytes)).toBe(true);
    expect(await archive.size(key(2))).toBe(bytes.length);
    expect((await archive.read(key(2), MiB - 10, 20)).equals(bytes.subarray(MiB - 10, MiB + 10))).toBe(true);
    expect((await archive.read(key(2), bytes.length - 5, 100)).equals(bytes.subarray(-5))).toBe(true);
    expect((await archive.read(key(2), bytes.length, 100)).length).toBe(0);
    expect((await archive.read(key(2), 0, 0)).length).toBe(0);
  });

  it('answers null or empty for a log that is not stored', async () => {
    const archive = direct();

    expect(await archive.size(key(999))).toBeNull();
    expect((await archive.read(key(999), 0, 10)).length).toBe(0);
    expect(await archive.readLink(key(999), 60_000)).toBeNull();
    expect(await archive.size(key(1, 'a team never seen'))).toBeNull();
  });

  it('stores the same bytes twice without uploading again, and replaces different bytes', async () => {
    const first = awkwardBytes(2 * MiB);
    const second = awkwardBytes(MiB + 7);
    const archive = proxied();
    const stored = await archive.store({ key: key(3), localPath: logFile('twice.log', first) });
    const putsBefore = proxy.seen.blockPuts;

    const again = await archive.store({ key: key(3), localPath: path.join(work, 'twice.log') });
    const puts = proxy.seen.blockPuts - putsBefore;
    const replaced = await archive.store({ key: key(3), localPath: logFile('twice.log', second) });

    expect(again).toEqual({ ...stored, alreadyStored: true });
    expect(puts).toBe(0);
    expect(replaced.alreadyStored).toBe(false);
    expect((await archive.read(key(3), 0, 10 * MiB)).equals(second)).toBe(true);
  });

  it('stores an empty log', async () => {
    const archive = direct();

    const stored = await archive.store({ key: key(4), localPath: logFile('empty.log', Buffer.alloc(0)) });

    expect(stored).toMatchObject({ sizeInBytes: 0, md5Base64: '1B2M2Y8AsgTpgAmY7PhCfg==' });
    expect(await archive.size(key(4))).toBe(0);
    expect((await archive.read(key(4), 0, 10)).length).toBe(0);
  });

  it('gives a read-only link that downloads the same bytes and stops working when it expires', async () => {
    const bytes = awkwardBytes(MiB + 1);
    const archive = direct();
    await archive.store({ key: key(5), localPath: logFile('linked.log', bytes) });

    const link = await archive.readLink(key(5), 2_000);
    const fetched = await download(link ?? '');
    const write = await fetch(link ?? '', {
      method: 'PUT',
      body: 'x',
      headers: { 'x-ms-blob-type': 'BlockBlob' },
    });
    const expiresAtMs = Date.parse(new URL(link ?? '').searchParams.get('se') ?? '');
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAtMs - Date.now()) + 1_100));
    const late = await download(link ?? '');

    expect(new URL(link ?? '').origin).toBe(new URL(azurite.blobUrl).origin);
    expect(new URL(link ?? '').searchParams.get('sp')).toBe('r');
    expect(fetched.status).toBe(200);
    expect(fetched.bytes.equals(bytes)).toBe(true);
    expect(write.status).toBe(403);
    expect(late.status).toBe(403);
    expect((await archive.read(key(5), 0, 2 * MiB)).equals(bytes)).toBe(true);
  });

  it('retries block uploads that fail with 500 (the SDK) and 502 (ours) and still stores every byte', async () => {
    const bytes = awkwardBytes(4 * MiB + 3);
    const archive = proxied();
    proxy.plan.failBlocks = 5;
    proxy.plan.failStatus = 500;
    await archive.store({ key: key(6), localPath: logFile('flaky.log', bytes) });
    proxy.plan.failBlocks = 3;
    proxy.plan.failStatus = 502;
    const warningsBefore = logger.lines.length;

    const stored = await archive.store({ key: key(7), localPath: path.join(work, 'flaky.log') });

    expect(proxy.plan.failBlocks).toBe(0);
    expect(stored.sizeInBytes).toBe(bytes.length);
    expect((await archive.read(key(6), 0, 5 * MiB)).equals(bytes)).toBe(true);
    expect((await archive.read(key(7), 0, 5 * MiB)).equals(bytes)).toBe(true);
    const retries = logger.lines
      .slice(warningsBefore)
      .filter((line) => line.message === 'archive: retrying a storage request');
    expect(retries.length).toBeGreaterThanOrEqual(3);
    expect(retries[0]?.meta).toMatchObject({ operation: 'stage block', statusCode: 502 });
  });

  it('sends again a block corrupted on the way (the service checks its MD5), and gives up if it always is', async () => {
    const bytes = awkwardBytes(3 * MiB);
    const archive = proxied();
    proxy.plan.flipBlocks = 2;

    const healed = await archive.store({ key: key(8), localPath: logFile('flipped.log', bytes) });
    proxy.plan.flipBlocks = 1_000;
    const error = await rejection(archive.store({ key: key(9), localPath: path.join(work, 'flipped.log') }));
    proxy.plan.flipBlocks = 0;

    expect(healed.sizeInBytes).toBe(bytes.length);
    expect((await archive.read(key(8), 0, 4 * MiB)).equals(bytes)).toBe(true);
    expect(error.code).toBe('provider');
    expect(error.fields).toMatchObject({ statusCode: 400, errorCode: 'Md5Mismatch' });
    expect(await archive.size(key(9))).toBeNull();
  });

  it('rejects and deletes a committed blob whose blocks are not the ones sent', async () => {
    const bytes = awkwardBytes(3 * MiB);
    const archive = proxied();
    proxy.plan.swapCommits = 1;

    const error = await rejection(archive.store({ key: key(10), localPath: logFile('swapped.log', bytes) }));

    expect(proxy.seen.swapped).toBe(1);
    expect(error.code).toBe('provider');
    expect(error.message).toMatch(/does not match/);
    // Same length, same Content-MD5 header: only the block list read back tells.
    expect(error.fields).toMatchObject({
      expectedBytes: bytes.length,
      storedBytes: bytes.length,
      blocksMatch: false,
    });
    expect(await archive.size(key(10))).toBeNull();
  });

  it('refuses a missing local file and a bad connection string without quoting it', async () => {
    const archive = direct();

    const missing = await rejection(archive.store({ key: key(11), localPath: path.join(work, 'nope.log') }));
    let thrown: unknown = null;
    try {
      blobJobArchiveFromConnectionString(`AccountName=x;AccountKey=${AZURITE_ACCOUNT_KEY}`, options);
    } catch (error) {
      thrown = error;
    }

    expect(missing.code).toBe('not-found');
    expect(thrown).toBeInstanceOf(MpiboxError);
    expect(String((thrown as Error).message)).not.toContain(AZURITE_ACCOUNT_KEY);
  });

  it('stops at once when aborted, even while waiting to retry, with the reason of the signal', async () => {
    const slow = blobJobArchiveFromConnectionString(proxy.connectionString, {
      ...options,
      retryDelayInMs: 60_000,
      maxRetryDelayInMs: 60_000,
    });
    const localPath = logFile('aborted.log', awkwardBytes(2 * MiB));
    const controller = new AbortController();
    const reason = new Error('shutting down');
    proxy.plan.failBlocks = 1;
    proxy.plan.failStatus = 502; // not retried by the SDK: ours waits a minute
    const started = Date.now();

    const store = slow.store({ key: key(14), localPath }, controller.signal);
    setTimeout(() => controller.abort(reason), 200);
    const caught = await store.then(
      () => null,
      (error: unknown) => error,
    );

    expect(caught).toBe(reason);
    expect(Date.now() - started).toBeLessThan(5_000);
    await expect(slow.store({ key: key(14), localPath }, AbortSignal.abort(reason))).rejects.toBe(reason);
    proxy.plan.failBlocks = 0;
  });

  it('works through a connection string holding a SAS instead of the key, without read links', async () => {
    const sas = generateAccountSASQueryParameters(
      {
        permissions: AccountSASPermissions.parse('rwdlac'),
        services: 'b',
        resourceTypes: 'sco',
        expiresOn: new Date(Date.now() + 3_600_000),
      },
      new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY),
    ).toString();
    const archive = blobJobArchiveFromConnectionString(
      `BlobEndpoint=${azurite.blobUrl};SharedAccessSignature=${sas}`,
      options,
    );
    const bytes = awkwardBytes(MiB + 9);

    const stored = await archive.store({ key: key(13), localPath: logFile('sas.log', bytes) });

    expect(stored.sizeInBytes).toBe(bytes.length);
    expect((await archive.read(key(13), 0, 2 * MiB)).equals(bytes)).toBe(true);
    expect(await archive.readLink(key(13), 60_000)).toBeNull();
  });

  describe('with an Entra ID credential (https Azurite, OAuth)', () => {
    let cert: SelfSignedCert;
    let secure: Azurite;

    beforeAll(async () => {
      cert = makeSelfSignedCert();
      secure = await startAzurite({ certPem: cert.certPem, keyPem: cert.keyPem });
    });

    afterAll(async () => {
      await secure?.stop();
      cert?.remove();
    });

    it('stores with a bearer token and links with a user delegation SAS', async () => {
      const bytes = awkwardBytes(2 * MiB + 5);
      // tlsOptions is passed through to core-rest-pipeline: trust exactly the test certificate.
      const pipeline = { tlsOptions: { ca: cert.certPem } } as BlobJobArchiveOptions['pipeline'];
      const archive = blobJobArchiveFromAccountUrl(secure.blobUrl, fakeEntraCredential(), {
        ...options,
        pipeline,
      });

      const stored = await archive.store({ key: key(12), localPath: logFile('entra.log', bytes) });
      const link = new URL((await archive.readLink(key(12), 60_000)) ?? '');
      const fetched = await download(link.href, cert.certPem);

      expect(stored.sizeInBytes).toBe(bytes.length);
      expect(link.protocol).toBe('https:');
      expect(link.searchParams.get('spr')).toBe('https');
      expect(link.searchParams.get('skoid')).toBeTruthy();
      expect(fetched.status).toBe(200);
      expect(fetched.bytes.equals(bytes)).toBe(true);
      expect(secure.blobUrl).toContain(AZURITE_ACCOUNT);
    });

    it('refuses an account URL that is not https or carries a query', () => {
      const credential = fakeEntraCredential();

      expect(() => blobJobArchiveFromAccountUrl('http://127.0.0.1:1/x', credential, options)).toThrow(
        MpiboxError,
      );
      expect(() => blobJobArchiveFromAccountUrl(`${secure.blobUrl}?sig=abc`, credential, options)).toThrow(
        /without a query/,
      );
    });
  });
});

describe('FolderJobArchive', () => {
  let work: string;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'mpibox-folder-archive-'));
  });

  afterAll(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('copies a log byte for byte under <container>/<blob name>, idempotently, with no link', async () => {
    const bytes = awkwardBytes(3 * MiB + 1);
    const localPath = path.join(work, 'local.log');
    fs.writeFileSync(localPath, bytes);
    const archive = new FolderJobArchive(path.join(work, 'archive'));

    const stored = await archive.store({ key: key(1), localPath });
    const again = await archive.store({ key: key(1), localPath });

    const target = path.join(work, 'archive', archiveContainerName('Lab A'), 'demo-c-0a1b2c', 'job-1.log');
    expect(fs.readFileSync(target).equals(bytes)).toBe(true);
    expect(fs.statSync(target).mode & 0o777).toBe(0o600);
    expect(stored).toMatchObject({ sizeInBytes: bytes.length, alreadyStored: false });
    expect(again).toEqual({ ...stored, alreadyStored: true });
    expect(await archive.size(key(1))).toBe(bytes.length);
    expect((await archive.read(key(1), 10, 20)).equals(bytes.subarray(10, 30))).toBe(true);
    expect((await archive.read(key(1), bytes.length, 20)).length).toBe(0);
    expect(await archive.readLink(key(1), 60_000)).toBeNull();
    expect(await archive.size(key(2))).toBeNull();
    expect((await archive.read(key(2), 0, 10)).length).toBe(0);
    expect(fs.readdirSync(path.dirname(target))).toEqual(['job-1.log']);
  });

  it('replaces a copy with different bytes, and refuses a missing local log', async () => {
    const localPath = path.join(work, 'changed.log');
    const archive = new FolderJobArchive(path.join(work, 'archive'));
    fs.writeFileSync(localPath, 'first\n');
    await archive.store({ key: key(3), localPath });
    fs.writeFileSync(localPath, 'other\n');

    const replaced = await archive.store({ key: key(3), localPath });
    const missing = await rejection(archive.store({ key: key(4), localPath: path.join(work, 'nope.log') }));

    expect(replaced.alreadyStored).toBe(false);
    expect((await archive.read(key(3), 0, 100)).toString()).toBe('other\n');
    expect(missing.code).toBe('not-found');
  });

  it('deletes a copy that does not match what was read, and says so', async () => {
    const copy = path.join(work, 'copy.log');
    fs.writeFileSync(copy, 'written\n');
    const digest = await md5OfFile(copy);
    fs.writeFileSync(copy, 'writteN\n'); // same length, one byte differs

    const error = await rejection(verifyArchivedCopy(copy, digest));

    expect(error.code).toBe('provider');
    expect(error.fields).toMatchObject({ expectedBytes: 8, storedBytes: 8, md5Matches: false });
    expect(fs.existsSync(copy)).toBe(false);
    fs.writeFileSync(copy, 'written\n');
    await expect(verifyArchivedCopy(copy, digest)).resolves.toBeUndefined();
  });
});
