import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MpiboxError } from '../../domain/errors.ts';
import {
  archiveBlobName,
  archiveContainerName,
  type ArchiveEntry,
  type ArchiveKey,
  type ArchivedLog,
  type JobArchive,
} from '../../ports/job-archive.ts';

/** Bytes per read when streaming a file (memory held per stream). */
const READ_CHUNK_IN_BYTES = 1 << 20;

/** A file's length and MD5 (base64), as read. */
export interface FileDigest {
  /** Bytes read. */
  sizeInBytes: number;
  /** MD5 of those bytes, base64. */
  md5Base64: string;
}

/**
 * The archive without cloud storage: `<dir>/<container>/<blob name>`, the same names the blob
 * archive uses, so moving to Azure later is a copy. Files 0600, folders 0700 (logs may hold
 * anything a job printed). It has no read links.
 */
export class FolderJobArchive implements JobArchive {
  readonly #dir: string;

  /** `dir`: the archive's folder in the data directory; made on the first store. */
  constructor(dir: string) {
    this.#dir = dir;
  }

  async store(entry: ArchiveEntry, abortSignal?: AbortSignal): Promise<ArchivedLog> {
    abortSignal?.throwIfAborted();
    const location = `${archiveContainerName(entry.key.team)}/${archiveBlobName(entry.key)}`;
    const target = this.#path(entry.key);
    const temporary = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      const source = await statOrNull(entry.localPath);
      if (!source)
        throw new MpiboxError('not-found', 'archive: the local log is missing', { jobId: entry.key.jobId });
      const existing = await statOrNull(target);
      if (existing?.size === source.size) {
        const [local, stored] = await Promise.all([
          md5OfFile(entry.localPath, abortSignal),
          md5OfFile(target, abortSignal),
        ]);
        if (
          local.sizeInBytes === source.size &&
          local.md5Base64 === stored.md5Base64 &&
          local.sizeInBytes === stored.sizeInBytes
        ) {
          return { location, ...local, alreadyStored: true };
        }
      }
      await fsp.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      const copied = await copyWithDigest(entry.localPath, temporary, abortSignal);
      await fsyncPath(temporary);
      // What was read must be the whole finished log, and what landed in the file what was read.
      // (After fsync the read-back may come from the page cache: media errors are the disk's job.)
      await verifyArchivedCopy(
        temporary,
        { sizeInBytes: source.size, md5Base64: copied.md5Base64 },
        abortSignal,
      );
      await fsp.rename(temporary, target);
      await fsyncPath(path.dirname(target)); // makes the rename itself durable
      return { location, ...copied, alreadyStored: false };
    } catch (error) {
      abortSignal?.throwIfAborted();
      if (error instanceof MpiboxError) throw error;
      throw new MpiboxError('provider', 'archive: could not copy the log into the archive folder', {
        location,
        ...errorCode(error),
      });
    } finally {
      await fsp.rm(temporary, { force: true });
    }
  }

  /** Always null: a folder has no links (the log is attached to the thread instead). */
  async readLink(_key: ArchiveKey, _lifetimeInMs: number): Promise<string | null> {
    return null;
  }

  async read(
    key: ArchiveKey,
    fromByte: number,
    maxBytes: number,
    abortSignal?: AbortSignal,
  ): Promise<Buffer> {
    abortSignal?.throwIfAborted();
    checkReadRange(fromByte, maxBytes);
    let file: fsp.FileHandle;
    try {
      file = await fsp.open(this.#path(key), 'r');
    } catch (error) {
      if (isMissing(error)) return Buffer.alloc(0);
      throw new MpiboxError('provider', 'archive: could not read the archive folder', errorCode(error));
    }
    try {
      const length = Math.max(0, Math.min(maxBytes, (await file.stat()).size - fromByte));
      const buffer = Buffer.alloc(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await file.read(buffer, filled, length - filled, fromByte + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return buffer.subarray(0, filled);
    } finally {
      await file.close();
    }
  }

  async size(key: ArchiveKey, abortSignal?: AbortSignal): Promise<number | null> {
    abortSignal?.throwIfAborted();
    try {
      return (await statOrNull(this.#path(key)))?.size ?? null;
    } catch (error) {
      throw new MpiboxError('provider', 'archive: could not read the archive folder', errorCode(error));
    }
  }

  #path(key: ArchiveKey): string {
    return path.join(this.#dir, archiveContainerName(key.team), ...archiveBlobName(key).split('/'));
  }
}

/** Length and MD5 of a file, streamed. Rejects with the fs error (ENOENT when missing). */
export async function md5OfFile(filePath: string, abortSignal?: AbortSignal): Promise<FileDigest> {
  const hash = createHash('md5');
  let sizeInBytes = 0;
  const stream = fs.createReadStream(filePath, { highWaterMark: READ_CHUNK_IN_BYTES, signal: abortSignal });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    sizeInBytes += chunk.length;
  }
  return { sizeInBytes, md5Base64: hash.digest('base64') };
}

/**
 * Reads `filePath` back and compares it with what was meant to be written. A mismatch deletes
 * the file and rejects with MpiboxError('provider').
 */
export async function verifyArchivedCopy(
  filePath: string,
  expected: FileDigest,
  abortSignal?: AbortSignal,
): Promise<void> {
  const actual = await md5OfFile(filePath, abortSignal);
  if (actual.sizeInBytes === expected.sizeInBytes && actual.md5Base64 === expected.md5Base64) return;
  await fsp.rm(filePath, { force: true });
  throw new MpiboxError('provider', 'archive: the stored copy does not match the log', {
    expectedBytes: expected.sizeInBytes,
    storedBytes: actual.sizeInBytes,
    md5Matches: actual.md5Base64 === expected.md5Base64,
  });
}

/** Streams `from` into a new file `to` (which must not exist), hashing on the way. */
async function copyWithDigest(from: string, to: string, abortSignal?: AbortSignal): Promise<FileDigest> {
  const hash = createHash('md5');
  let sizeInBytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      sizeInBytes += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(
    fs.createReadStream(from, { highWaterMark: READ_CHUNK_IN_BYTES }),
    tap,
    fs.createWriteStream(to, { flags: 'wx', mode: 0o600 }),
    abortSignal ? { signal: abortSignal } : {},
  );
  return { sizeInBytes, md5Base64: hash.digest('base64') };
}

/** fsync of a file or folder by path. */
async function fsyncPath(target: string): Promise<void> {
  const handle = await fsp.open(target, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The file's stat; null when it does not exist (other errors reject). */
async function statOrNull(target: string): Promise<fs.Stats | null> {
  try {
    return await fsp.stat(target);
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  return errorCode(error).errorCode === 'ENOENT';
}

/** Rejects offsets and lengths that are not whole numbers ≥ 0 with MpiboxError('bad-input'). */
export function checkReadRange(fromByte: number, maxBytes: number): void {
  if (!Number.isSafeInteger(fromByte) || fromByte < 0 || !Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new MpiboxError('bad-input', 'archive: a read needs whole, non-negative byte counts', {
      fromByte,
      maxBytes,
    });
  }
}

/** The fs error code (ENOSPC, EACCES…), for the error's fields. */
function errorCode(error: unknown): Record<string, string> {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? { errorCode: code } : {};
}
