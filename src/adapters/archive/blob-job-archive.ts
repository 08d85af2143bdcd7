// Past 300 lines for a reason: staging, verification and retries are one protocol (a block's
// buffer, its MD5 and its retries belong together). Split the upload out if it grows further.
import { createHash, randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import type { TokenCredential } from '@azure/core-auth';
import {
  BlobSASPermissions,
  BlobServiceClient,
  SASProtocol,
  StorageSharedKeyCredential,
  isRestError,
  type BlobSASSignatureValues,
  type BlockBlobClient,
  type StoragePipelineOptions,
} from '@azure/storage-blob';
import { MpiboxError } from '../../domain/errors.ts';
import type { Clock } from '../../ports/clock.ts';
import {
  archiveBlobName,
  archiveContainerName,
  type ArchiveEntry,
  type ArchiveKey,
  type ArchivedLog,
  type JobArchive,
} from '../../ports/job-archive.ts';
import type { Logger } from '../../ports/logger.ts';
import { checkReadRange, md5OfFile } from './folder-job-archive.ts';

/** How the blob archive uploads and retries. */
export interface BlobJobArchiveOptions {
  clock: Clock;
  logger: Logger;
  /** Bytes per staged block (each with its own MD5); default 4 MiB. Grown when a log needs more than 50,000 blocks. */
  blockSizeInBytes?: number;
  /** Blocks uploading at once; default 4. Memory held is about blockSizeInBytes × (concurrency + 1). */
  concurrency?: number;
  /** Tries per request, the first included, in the SDK's retry policy and again in ours; default 4. */
  maxAttempts?: number;
  /** First wait between tries, in ms, doubled per try; default 1000. */
  retryDelayInMs?: number;
  /** Longest wait between tries, in ms; default 30,000. */
  maxRetryDelayInMs?: number;
  /** One request's time limit, in ms (the SDK's tryTimeoutInMs); default 120,000. */
  tryTimeoutInMs?: number;
  /** More SDK pipeline options (keep-alive, proxy; tests add `tlsOptions`). Its retryOptions win over ours. */
  pipeline?: StoragePipelineOptions;
}

/** How read links are signed: with the account key, with a user delegation key, or not at all. */
type Signing = 'shared-key' | 'user-delegation' | 'none';

const MiB = 1 << 20;
/** Azure's limit of blocks per blob. */
const MAX_BLOCKS = 50_000;
const CONTENT_TYPE = 'text/plain; charset=utf-8';
/** SAS start this far in the past, so a storage clock a little behind ours still accepts it. */
const CLOCK_SKEW_IN_MS = 5 * 60_000;
/** A user delegation key (so its SAS) lives at most 7 days. */
const MAX_USER_DELEGATION_IN_MS = 7 * 24 * 3_600_000;
/** Statuses worth another try: timeouts, throttling and server-side failures. */
const TRANSIENT_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/**
 * An archive from a storage connection string. With an AccountKey (Azurite's well-known dev
 * account included) links are service SAS signed with it; with a SharedAccessSignature instead,
 * readLink gives null.
 */
export function blobJobArchiveFromConnectionString(
  connectionString: string,
  options: BlobJobArchiveOptions,
): BlobJobArchive {
  let service: BlobServiceClient;
  try {
    service = BlobServiceClient.fromConnectionString(connectionString, pipelineOptions(options));
  } catch {
    // Without the SDK's message: it may quote parts of the string.
    throw new MpiboxError('bad-input', 'archive: the storage connection string is not valid');
  }
  // A connection string with a SAS instead of an account key can store and read, not sign links.
  const signing = service.credential instanceof StorageSharedKeyCredential ? 'shared-key' : 'none';
  return new BlobJobArchive(service, signing, options);
}

/**
 * An archive on `https://<account>.blob.core.windows.net` with an Entra ID credential (in
 * production DefaultAzureCredential, with Storage Blob Data Contributor on the account); links
 * are user delegation SAS.
 */
export function blobJobArchiveFromAccountUrl(
  accountUrl: string,
  credential: TokenCredential,
  options: BlobJobArchiveOptions,
): BlobJobArchive {
  let url: URL;
  try {
    url = new URL(accountUrl);
  } catch {
    throw new MpiboxError('bad-input', 'archive: the storage account URL is not a URL');
  }
  if (url.protocol !== 'https:' || url.search !== '') {
    throw new MpiboxError('bad-input', 'archive: the storage account URL must be https, without a query');
  }
  return new BlobJobArchive(
    new BlobServiceClient(accountUrl, credential, pipelineOptions(options)),
    'user-delegation',
    options,
  );
}

/**
 * Job logs in Azure Blob Storage: container per team (private), block blob per job. Uploads
 * stage blocks read from the file in order, each with a transactional MD5 the service checks
 * on arrival, commit them with the whole file's MD5 as Content-MD5, then verify (see #verify).
 */
export class BlobJobArchive implements JobArchive {
  readonly #service: BlobServiceClient;
  readonly #signing: Signing;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #blockSize: number;
  readonly #concurrency: number;
  readonly #maxAttempts: number;
  readonly #retryDelayInMs: number;
  readonly #maxRetryDelayInMs: number;
  readonly #containersMade = new Set<string>();

  constructor(service: BlobServiceClient, signing: Signing, options: BlobJobArchiveOptions) {
    this.#service = service;
    this.#signing = signing;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#blockSize = options.blockSizeInBytes ?? 4 * MiB;
    this.#concurrency = options.concurrency ?? 4;
    this.#maxAttempts = options.maxAttempts ?? 4;
    this.#retryDelayInMs = options.retryDelayInMs ?? 1_000;
    this.#maxRetryDelayInMs = options.maxRetryDelayInMs ?? 30_000;
  }

  async store(entry: ArchiveEntry, abortSignal?: AbortSignal): Promise<ArchivedLog> {
    const { blob, location } = this.#blob(entry.key);
    try {
      const sizeInBytes = await fileSize(entry.localPath, entry.key.jobId);
      const existing = await this.#propertiesOrNull(blob, location, abortSignal);
      if (existing?.contentLength === sizeInBytes && existing.contentMD5) {
        // Only verified blobs are left in place, so a matching Content-MD5 means these bytes.
        const local = await md5OfFile(entry.localPath, abortSignal);
        if (local.sizeInBytes === sizeInBytes && base64(existing.contentMD5) === local.md5Base64) {
          return { location, ...local, alreadyStored: true };
        }
      }
      await this.#ensureContainer(archiveContainerName(entry.key.team), abortSignal);
      const staged = await this.#stageAll(blob, entry.localPath, sizeInBytes, location, abortSignal);
      const md5 = staged.md5;
      await this.#retrying('commit', location, abortSignal, () =>
        blob.commitBlockList(
          staged.blocks.map((block) => block.id),
          { blobHTTPHeaders: { blobContentMD5: md5, blobContentType: CONTENT_TYPE }, abortSignal },
        ),
      );
      await this.#verify(blob, location, { sizeInBytes, md5, blocks: staged.blocks }, abortSignal);
      return { location, sizeInBytes, md5Base64: md5.toString('base64'), alreadyStored: false };
    } catch (error) {
      abortSignal?.throwIfAborted();
      if (error instanceof MpiboxError) throw error;
      throw providerError('archive: upload failed', error, { location });
    }
  }

  async readLink(key: ArchiveKey, lifetimeInMs: number, abortSignal?: AbortSignal): Promise<string | null> {
    const maxInMs =
      this.#signing === 'user-delegation' ? MAX_USER_DELEGATION_IN_MS - CLOCK_SKEW_IN_MS : Infinity;
    if (!Number.isFinite(lifetimeInMs) || lifetimeInMs <= 0 || lifetimeInMs > maxInMs) {
      throw new MpiboxError('bad-input', 'archive: a read link lifetime must be positive (at most 7 days)', {
        lifetimeInMs,
      });
    }
    if (this.#signing === 'none') return null; // a SAS cannot sign another SAS
    const { blob, location } = this.#blob(key);
    try {
      if ((await this.#propertiesOrNull(blob, location, abortSignal)) === null) return null;
      const nowInMs = this.#clock.nowInMs();
      const startsOn = new Date(nowInMs - CLOCK_SKEW_IN_MS);
      const expiresOn = new Date(nowInMs + lifetimeInMs);
      const values: Omit<BlobSASSignatureValues, 'containerName'> = {
        permissions: BlobSASPermissions.parse('r'),
        startsOn,
        expiresOn,
        // https only, except against an http emulator (Azurite), where no https exists.
        protocol:
          new URL(this.#service.url).protocol === 'https:' ? SASProtocol.Https : SASProtocol.HttpsAndHttp,
      };
      if (this.#signing === 'shared-key') return await blob.generateSasUrl(values);
      const delegation = await this.#retrying('user delegation key', location, abortSignal, () =>
        this.#service.getUserDelegationKey(startsOn, expiresOn, { abortSignal }),
      );
      return await blob.generateUserDelegationSasUrl(values, delegation);
    } catch (error) {
      abortSignal?.throwIfAborted();
      if (error instanceof MpiboxError) throw error;
      throw providerError('archive: could not make a read link', error, { location });
    }
  }

  async read(
    key: ArchiveKey,
    fromByte: number,
    maxBytes: number,
    abortSignal?: AbortSignal,
  ): Promise<Buffer> {
    checkReadRange(fromByte, maxBytes);
    const { blob, location } = this.#blob(key);
    // count 0 would mean "to the end" to the SDK.
    if (maxBytes === 0) return Buffer.alloc(0);
    try {
      const response = await this.#retrying('read', location, abortSignal, () =>
        blob.download(fromByte, maxBytes, { abortSignal, maxRetryRequests: this.#maxAttempts }),
      );
      const chunks: Buffer[] = [];
      let length = 0;
      for await (const chunk of response.readableStreamBody as AsyncIterable<Buffer>) {
        chunks.push(chunk);
        length += chunk.length;
      }
      return Buffer.concat(chunks, Math.min(length, maxBytes));
    } catch (error) {
      abortSignal?.throwIfAborted();
      // 416: the range starts at or past the end (an empty blob has no valid range at all).
      if (isRestError(error) && (error.statusCode === 404 || error.statusCode === 416))
        return Buffer.alloc(0);
      throw providerError('archive: read failed', error, { location });
    }
  }

  async size(key: ArchiveKey, abortSignal?: AbortSignal): Promise<number | null> {
    const { blob, location } = this.#blob(key);
    try {
      const properties = await this.#propertiesOrNull(blob, location, abortSignal);
      return properties ? (properties.contentLength ?? 0) : null;
    } catch (error) {
      abortSignal?.throwIfAborted();
      throw providerError('archive: size lookup failed', error, { location });
    }
  }

  #blob(key: ArchiveKey): { blob: BlockBlobClient; location: string } {
    const container = archiveContainerName(key.team);
    const name = archiveBlobName(key);
    const blob = this.#service.getContainerClient(container).getBlockBlobClient(name);
    return { blob, location: `${container}/${name}` };
  }

  /**
   * Reads the file in order, one block at a time, into the MD5 of the whole file, and stages
   * up to `concurrency` blocks at once. Block ids carry a fresh nonce, so blocks of an earlier
   * or concurrent attempt are never committed by this one (Azure drops uncommitted blocks).
   */
  async #stageAll(
    blob: BlockBlobClient,
    localPath: string,
    sizeInBytes: number,
    location: string,
    abortSignal?: AbortSignal,
  ): Promise<{ md5: Buffer; blocks: StagedBlock[] }> {
    const blockSize = Math.max(this.#blockSize, Math.ceil(sizeInBytes / MAX_BLOCKS));
    const nonce = randomBytes(6).toString('hex');
    const whole = createHash('md5');
    const blocks: StagedBlock[] = [];
    const stop = new AbortController();
    const signal = abortSignal ? AbortSignal.any([abortSignal, stop.signal]) : stop.signal;
    const inFlight = new Set<Promise<void>>();
    let failure: { error: unknown } | null = null;
    // At most concurrency + 1 block buffers ever exist (one filling, the rest uploading), reused
    // rather than left to the garbage collector, so memory stays flat whatever the log's size.
    const spare: Buffer[] = [];
    const file = await fsp.open(localPath, 'r');
    try {
      for (let offset = 0, index = 0; offset < sizeInBytes && !failure; index += 1) {
        const length = Math.min(blockSize, sizeInBytes - offset);
        const buffer = spare.pop() ?? Buffer.allocUnsafe(Math.min(blockSize, sizeInBytes));
        const body = await readBlock(file, buffer.subarray(0, length), offset, location);
        whole.update(body);
        const id = Buffer.from(`${nonce}-${String(index).padStart(6, '0')}`).toString('base64');
        blocks.push({ id, sizeInBytes: length });
        const transactionalContentMD5 = createHash('md5').update(body).digest();
        const task: Promise<void> = this.#retrying('stage block', location, signal, () =>
          blob.stageBlock(id, body, length, { transactionalContentMD5, abortSignal: signal }),
        ).then(
          () => {
            inFlight.delete(task);
            spare.push(buffer);
          },
          (error: unknown) => {
            inFlight.delete(task);
            spare.push(buffer);
            failure ??= { error };
            stop.abort();
          },
        );
        inFlight.add(task);
        offset += length;
        if (inFlight.size >= this.#concurrency) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
      if (failure) throw (failure as { error: unknown }).error;
      if ((await file.stat()).size !== sizeInBytes) throw changedWhileReading(location);
    } finally {
      await file.close();
    }
    return { md5: whole.digest(), blocks };
  }

  /**
   * Why this proves the blob holds the file's bytes: the service refused any block whose bytes
   * did not match the MD5 computed here from the very buffer that was hashed into the whole
   * file's MD5 (Md5Mismatch); the committed block list read back is exactly our ids, in order,
   * with our sizes (ids are unique per attempt, so no stray block); and the blob's length and
   * Content-MD5 read back are the file's. Azure does not check Content-MD5 at commit, so it is
   * stored for readers (and the idempotent re-store) rather than relied on here. Not a full
   * read-back: that would double the traffic of a 200 MB log for no case the above misses.
   */
  async #verify(
    blob: BlockBlobClient,
    location: string,
    expected: { sizeInBytes: number; md5: Buffer; blocks: StagedBlock[] },
    abortSignal?: AbortSignal,
  ): Promise<void> {
    const properties = await this.#retrying('verify', location, abortSignal, () =>
      blob.getProperties({ abortSignal }),
    );
    const list = await this.#retrying('verify', location, abortSignal, () =>
      blob.getBlockList('committed', { abortSignal }),
    );
    const committed = list.committedBlocks ?? [];
    const sameBlocks =
      committed.length === expected.blocks.length &&
      committed.every(
        (block, index) =>
          block.name === expected.blocks[index]?.id && block.size === expected.blocks[index]?.sizeInBytes,
      );
    const sameMd5 =
      properties.contentMD5 !== undefined && Buffer.from(properties.contentMD5).equals(expected.md5);
    if (properties.contentLength === expected.sizeInBytes && sameMd5 && sameBlocks) return;
    try {
      await this.#retrying('delete', location, abortSignal, () =>
        blob.deleteIfExists({ deleteSnapshots: 'include' }),
      );
    } catch (error) {
      this.#logger.error('archive: could not delete a blob that failed verification', {
        location,
        ...describeError(error),
      });
    }
    throw new MpiboxError('provider', 'archive: the stored log does not match the local copy; deleted it', {
      location,
      expectedBytes: expected.sizeInBytes,
      storedBytes: properties.contentLength ?? 0,
      md5Matches: sameMd5,
      blocksMatch: sameBlocks,
    });
  }

  async #ensureContainer(container: string, abortSignal?: AbortSignal): Promise<void> {
    if (this.#containersMade.has(container)) return;
    // No `access` option: the container stays private; links are SAS.
    await this.#retrying('create container', container, abortSignal, () =>
      this.#service.getContainerClient(container).createIfNotExists({ abortSignal }),
    );
    this.#containersMade.add(container);
  }

  async #propertiesOrNull(blob: BlockBlobClient, location: string, abortSignal?: AbortSignal) {
    try {
      return await this.#retrying('get properties', location, abortSignal, () =>
        blob.getProperties({ abortSignal }),
      );
    } catch (error) {
      if (isRestError(error) && error.statusCode === 404) return null;
      throw error;
    }
  }

  /**
   * Runs `attempt` until it succeeds, up to maxAttempts times, waiting retryDelayInMs doubled
   * per try (at most maxRetryDelayInMs) after a transient failure. This is on top of the SDK's
   * own retries (which cover 500, 503 and network errors only): it adds 408, 429, 502, 504 and
   * a block corrupted on the way (Md5Mismatch), and covers a failure that outlasted the SDK's.
   */
  async #retrying<T>(
    operation: string,
    location: string,
    abortSignal: AbortSignal | undefined,
    attempt: () => Promise<T>,
  ): Promise<T> {
    for (let tries = 1; ; tries += 1) {
      try {
        return await attempt();
      } catch (error) {
        if (abortSignal?.aborted || tries >= this.#maxAttempts || !isTransient(error)) throw error;
        const delayInMs = Math.min(this.#retryDelayInMs * 2 ** (tries - 1), this.#maxRetryDelayInMs);
        this.#logger.warn('archive: retrying a storage request', {
          operation,
          location,
          attempt: tries,
          delayInMs,
          ...describeError(error),
        });
        await this.#clock.sleep(delayInMs, abortSignal);
      }
    }
  }
}

/** One staged block: its id (base64, equal length for all) and its length in bytes. */
interface StagedBlock {
  id: string;
  sizeInBytes: number;
}

/** The SDK options: ours as its retry policy's defaults, then the caller's pipeline options. */
function pipelineOptions(options: BlobJobArchiveOptions): StoragePipelineOptions {
  return {
    ...options.pipeline,
    retryOptions: {
      maxTries: options.maxAttempts ?? 4,
      retryDelayInMs: options.retryDelayInMs ?? 1_000,
      maxRetryDelayInMs: options.maxRetryDelayInMs ?? 30_000,
      tryTimeoutInMs: options.tryTimeoutInMs ?? 120_000,
      ...options.pipeline?.retryOptions,
    },
  };
}

async function fileSize(localPath: string, jobId: number): Promise<number> {
  try {
    return (await fsp.stat(localPath)).size;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') {
      throw new MpiboxError('not-found', 'archive: the local log is missing', { jobId });
    }
    throw error;
  }
}

/** Fills `body` from `offset`; a file that got shorter since its stat is an error. */
async function readBlock(
  file: fsp.FileHandle,
  body: Buffer,
  offset: number,
  location: string,
): Promise<Buffer> {
  for (let filled = 0; filled < body.length;) {
    const { bytesRead } = await file.read(body, filled, body.length - filled, offset + filled);
    if (bytesRead === 0) throw changedWhileReading(location);
    filled += bytesRead;
  }
  return body;
}

function changedWhileReading(location: string): MpiboxError {
  return new MpiboxError('provider', 'archive: the local log changed while it was uploaded', { location });
}

function isTransient(error: unknown): boolean {
  if (!isRestError(error)) return false;
  // No status: the request never got an answer (connection refused or reset, a try timed out).
  if (error.statusCode === undefined) return true;
  return (
    TRANSIENT_STATUSES.has(error.statusCode) || (error.statusCode === 400 && error.code === 'Md5Mismatch')
  );
}

/** Status and error code only: the SDK's messages and requests may quote URLs and headers. */
function describeError(error: unknown): Record<string, string | number> {
  const fields: Record<string, string | number> = {};
  if (isRestError(error) && error.statusCode !== undefined) fields.statusCode = error.statusCode;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') fields.errorCode = code;
  return fields;
}

function providerError(message: string, error: unknown, fields: Record<string, string>): MpiboxError {
  return new MpiboxError('provider', message, { ...fields, ...describeError(error) });
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}
