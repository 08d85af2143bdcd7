import { createHash } from 'node:crypto';

/** Which finished job's log: one container per team, one blob per cluster and job. */
export interface ArchiveKey {
  /** The team (workspace or configured name); mapped to a valid container name. */
  team: string;
  /** The cluster's name when the job ran (names are reused after a delete, hence the id too). */
  clusterName: string;
  /** The cluster's id, which is never reused. */
  clusterId: string;
  /** The job's id (a non-negative integer). */
  jobId: number;
}

/** What `store` copies. */
export interface ArchiveEntry {
  key: ArchiveKey;
  /** The bot's finished copy of the log (LogStore.path); read as a stream, never whole. */
  localPath: string;
}

/** A stored log, as verified after the copy. */
export interface ArchivedLog {
  /** `<container>/<blob name>`: for logs and the job record; never a URL, never a secret. */
  location: string;
  /** Bytes stored; equals the local file's size. */
  sizeInBytes: number;
  /** MD5 of the stored bytes, base64 (as Azure's Content-MD5 header carries it). */
  md5Base64: string;
  /** True when an identical copy was already there and nothing was written. */
  alreadyStored: boolean;
}

/**
 * Where finished job logs outlive their cluster: Azure Blob Storage, or a folder in the data
 * directory when no storage is configured. `/mpi logs` reads from here once the local copy and
 * the cluster are gone. All byte offsets and sizes are in bytes.
 */
export interface JobArchive {
  /**
   * Copies the finished log at `entry.localPath`, streamed (memory bounded by the adapter's
   * block size, not the log's), retried with bounded backoff on transient failures, then
   * verified: stored size and MD5 equal the file's. A verification mismatch deletes the bad
   * copy and rejects with MpiboxError('provider'); a missing local file rejects with
   * MpiboxError('not-found'); other failures after the retries reject with
   * MpiboxError('provider'). Idempotent: the same key with the same bytes succeeds again
   * (without rewriting them); different bytes replace the old copy. Aborted: rejects with the
   * signal's reason.
   */
  store(entry: ArchiveEntry, abortSignal?: AbortSignal): Promise<ArchivedLog>;
  /**
   * A read-only http(s) URL of the stored log that stops working after `lifetimeInMs`; null
   * when the log is not stored, or when the archive has no links (the folder archive; blob
   * storage reached through a SAS rather than a key or token). An archive that signs links
   * rejects a lifetime ≤ 0 (or, for user delegation links, over 7 days) with
   * MpiboxError('bad-input'). The URL carries a signature: hand it to the user, never to a log
   * line or an error.
   */
  readLink(key: ArchiveKey, lifetimeInMs: number, abortSignal?: AbortSignal): Promise<string | null>;
  /** Up to `maxBytes` bytes from byte `fromByte`; empty past the end and when not stored. */
  read(key: ArchiveKey, fromByte: number, maxBytes: number, abortSignal?: AbortSignal): Promise<Buffer>;
  /** Bytes stored; null when the log is not stored. */
  size(key: ArchiveKey, abortSignal?: AbortSignal): Promise<number | null>;
}

const CONTAINER_PREFIX = 'mpibox-';

/**
 * The team's container: `mpibox-<team>` within Azure's rules (3–63 characters; lowercase
 * letters, digits and single dashes; no dash at either end). When the team's name had to be
 * changed to fit (case, other characters, length), 8 hex digits of its SHA-256 are appended,
 * so two teams never share a container ("Lab A" and "lab-a" differ).
 */
export function archiveContainerName(team: string): string {
  const slug = team
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const maxBody = 63 - CONTAINER_PREFIX.length;
  if (slug === team && slug.length > 0 && slug.length <= maxBody) return `${CONTAINER_PREFIX}${slug}`;
  const suffix = createHash('sha256').update(team).digest('hex').slice(0, 8);
  const body = slug.slice(0, maxBody - suffix.length - 1).replace(/-+$/, '');
  return body ? `${CONTAINER_PREFIX}${body}-${suffix}` : `${CONTAINER_PREFIX}${suffix}`;
}

/**
 * The job's blob: `<clusterName>-<clusterId>/job-<jobId>.log`. Characters other than letters,
 * digits, `.`, `_` and `-` become `_`, so the name is also a safe relative path (no `/`, no
 * `..` segment) for the folder archive. Throws a TypeError when the job id is not an integer
 * ≥ 0: that is a bug, not user input.
 */
export function archiveBlobName(key: ArchiveKey): string {
  if (!Number.isSafeInteger(key.jobId) || key.jobId < 0)
    throw new TypeError('archive: job id must be an integer ≥ 0');
  const folder = `${key.clusterName}-${key.clusterId}`.replace(/[^A-Za-z0-9._-]/g, '_');
  return `${folder}/job-${key.jobId}.log`;
}
