import { createHash, randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { blobJobArchiveFromConnectionString } from '../../src/adapters/archive/blob-job-archive.ts';
import { FolderJobArchive } from '../../src/adapters/archive/folder-job-archive.ts';
import { JsonLogger } from '../../src/adapters/system/json-logger.ts';
import { SystemClock } from '../../src/adapters/system/system-clock.ts';
import type { ArchiveKey, JobArchive } from '../../src/ports/job-archive.ts';
import { startAzurite } from '../../test/support/azurite.ts';

const LOG_BYTES = 200_000_000; // 200 MB
const PIECE_BYTES = 1 << 20;
const KEY: ArchiveKey = { team: 'bench', clusterName: 'bench', clusterId: 'c-bench', jobId: 1 };

/** Random bytes (so also invalid UTF-8) written in 1 MiB pieces; returns their MD5, base64. */
function writeRandomLog(filePath: string, sizeInBytes: number): string {
  const hash = createHash('md5');
  const piece = Buffer.alloc(PIECE_BYTES);
  const fd = fs.openSync(filePath, 'w');
  try {
    for (let written = 0; written < sizeInBytes;) {
      const length = Math.min(PIECE_BYTES, sizeInBytes - written);
      randomFillSync(piece, 0, length);
      hash.update(piece.subarray(0, length));
      fs.writeSync(fd, piece, 0, length);
      written += length;
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('base64');
}

/** Peak RSS of this process while `work` runs, sampled every 20 ms, and its seconds. */
async function measured<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number; peakRss: number }> {
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 20);
  const started = performance.now();
  try {
    const result = await work();
    return {
      result,
      seconds: (performance.now() - started) / 1000,
      peakRss: Math.max(peakRss, process.memoryUsage().rss),
    };
  } finally {
    clearInterval(sampler);
  }
}

/** Streams a URL's body through MD5 without keeping it. */
async function downloadMd5(url: string): Promise<{ sizeInBytes: number; md5Base64: string }> {
  const response = await fetch(url);
  if (!response.ok || !response.body) throw new Error(`download failed: HTTP ${response.status}`);
  const hash = createHash('md5');
  let sizeInBytes = 0;
  for await (const chunk of response.body) {
    hash.update(chunk);
    sizeInBytes += chunk.length;
  }
  return { sizeInBytes, md5Base64: hash.digest('base64') };
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const rate = (seconds: number) => `${(LOG_BYTES / 1_000_000 / seconds).toFixed(0)} MB/s`;

/**
 * A finished 200 MB job log (random bytes) archived to Azurite through the blob archive (4 MiB
 * blocks × 4 at once, each with a transactional MD5, then verified) and to the folder archive;
 * then downloaded through a read link (SAS) and compared by MD5. Prints size, seconds, MB/s and
 * this process's peak RSS (the archive runs inside the bot, so this is its share; target < 200 MiB).
 */
export async function benchArchive(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpibox-bench-archive-'));
  const azurite = await startAzurite();
  try {
    const logPath = path.join(dir, 'job-1.log');
    const md5Base64 = writeRandomLog(logPath, LOG_BYTES);
    const options = { clock: new SystemClock(), logger: new JsonLogger('warn') };
    const blob: JobArchive = blobJobArchiveFromConnectionString(azurite.connectionString, options);
    const folder: JobArchive = new FolderJobArchive(path.join(dir, 'archive'));
    const rssBefore = process.memoryUsage().rss;

    // The bot's side first; the download (a user's browser, played by this process) last.
    const upload = await measured(() => blob.store({ key: KEY, localPath: logPath }));
    const again = await measured(() => blob.store({ key: KEY, localPath: logPath }));
    const copy = await measured(() => folder.store({ key: KEY, localPath: logPath }));
    const tail = await measured(() => blob.read(KEY, LOG_BYTES - 65_536, 65_536));
    const link = await blob.readLink(KEY, 600_000);
    if (!link) throw new Error('no read link');
    const download = await measured(() => downloadMd5(link));

    for (const [what, got] of [
      ['upload', upload.result],
      ['link download', download.result],
      ['folder copy', copy.result],
    ] as const) {
      if (got.sizeInBytes !== LOG_BYTES || got.md5Base64 !== md5Base64)
        throw new Error(`${what}: bytes differ`);
    }
    if (!again.result.alreadyStored) throw new Error('a second store uploaded again');
    const expectedTail = Buffer.alloc(65_536);
    const fd = fs.openSync(logPath, 'r');
    fs.readSync(fd, expectedTail, 0, expectedTail.length, LOG_BYTES - expectedTail.length);
    fs.closeSync(fd);
    if (!tail.result.equals(expectedTail)) throw new Error('ranged read: bytes differ');
    const botPeakRss = Math.max(upload.peakRss, again.peakRss, copy.peakRss, tail.peakRss);
    console.log(`job-log archive, ${LOG_BYTES / 1_000_000} MB of random bytes, Azurite on 127.0.0.1:`);
    console.log(
      `  blob upload + verify (4 MiB blocks × 4):  ${upload.seconds.toFixed(1)} s, ${rate(upload.seconds)}`,
    );
    console.log(`  store again (already there: MD5 only):    ${again.seconds.toFixed(1)} s`);
    console.log(
      `  folder archive copy + fsync + verify:      ${copy.seconds.toFixed(1)} s, ${rate(copy.seconds)}`,
    );
    console.log(
      `  download through the read link (SAS):      ${download.seconds.toFixed(1)} s, ${rate(download.seconds)}`,
    );
    console.log(`  bytes identical (size and MD5) after each:  yes (and a 64 KiB ranged read of the tail)`);
    console.log(
      `  peak RSS, archive work (upload, store again, folder copy, ranged read): ${mib(botPeakRss)} ` +
        `(${mib(rssBefore)} before; upload alone ${mib(upload.peakRss)})  (target < 200 MiB)`,
    );
    console.log(
      `  peak RSS during the link download (fetch here plays the browser):       ${mib(download.peakRss)}`,
    );
  } finally {
    await azurite.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
