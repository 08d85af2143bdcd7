import type { ArchiveKey, JobArchive } from '../ports/job-archive.ts';
import type { LogStore } from '../ports/log-store.ts';
import type { Logger } from '../ports/logger.ts';
import type { JobRow, Store } from '../ports/store.ts';
import { formatShortDuration } from '../domain/duration.ts';

export interface LogArchiverDeps {
  archive: JobArchive;
  store: Store;
  logs: LogStore;
  logger: Logger;
  /** The container's name part: one per team (MPIBOX_TEAM). */
  team: string;
  /** How long a posted read link works (MPIBOX_ARCHIVE_LINK_LIFETIME). */
  linkLifetimeInMs: number;
}

/**
 * Finished jobs' logs outlive their clusters: each complete log is copied to the archive (Blob
 * Storage, or a folder in the data directory), and its thread gets a short-lived read link.
 * `/mpi logs` reads the archive when the bot's own copy is gone.
 */
export class LogArchiver {
  readonly #deps: LogArchiverDeps;

  constructor(deps: LogArchiverDeps) {
    this.#deps = deps;
  }

  /**
   * Stores a finished job's complete log; resolves with the line for its thread (with a read
   * link when the archive gives one), or null when there is nothing to store or it failed
   * (logged: the bot's own copy stays, and the next archive attempt is the operator's call).
   */
  async archiveFinished(job: JobRow): Promise<string | null> {
    const { archive, logs, logger, linkLifetimeInMs } = this.#deps;
    const key = this.#key(job);
    if (!key || logs.size(job.id) === 0) return null;
    try {
      const stored = await archive.store({ key, localPath: logs.path(job.id) });
      const link = await archive.readLink(key, linkLifetimeInMs);
      logger.info('job log archived', {
        jobId: job.id,
        location: stored.location,
        bytes: stored.sizeInBytes,
      });
      return link
        ? `Log archived (${stored.sizeInBytes.toLocaleString('en-US')} bytes, MD5 checked): <${link}|download> (the link works for ${formatShortDuration(linkLifetimeInMs)}; \`/mpi logs ${job.id}\` works after the cluster is gone).`
        : `Log archived (${stored.sizeInBytes.toLocaleString('en-US')} bytes, MD5 checked) to ${stored.location}; \`/mpi logs ${job.id}\` works after the cluster is gone.`;
    } catch (error) {
      logger.warn('job log archive failed', { jobId: job.id, error });
      return null;
    }
  }

  /** The last `lines` lines (at most `maxBytes` bytes) of an archived log; '' when not archived. */
  async tail(job: JobRow, lines: number, maxBytes: number): Promise<string> {
    const key = this.#key(job);
    if (!key) return '';
    const size = await this.#deps.archive.size(key).catch(() => null);
    if (!size) return '';
    const from = Math.max(0, size - maxBytes);
    const text = (await this.#deps.archive.read(key, from, maxBytes)).toString('utf8');
    const all = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
    // A cut at `from` may start mid-line: that first partial line is dropped.
    const whole = from > 0 ? all.slice(1) : all;
    return `${whole.slice(-lines).join('\n')}\n`;
  }

  #key(job: JobRow): ArchiveKey | null {
    const cluster = this.#deps.store.getCluster(job.clusterId);
    return cluster
      ? { team: this.#deps.team, clusterName: cluster.name, clusterId: cluster.id, jobId: job.id }
      : null;
  }
}
