/**
 * The bot's own copy of every job log, appended as it streams in. Its size is the offset the
 * bot resumes from after a crash, so a byte is either in the copy (and never fetched again)
 * or not (and fetched again): nothing lost, nothing repeated.
 */
export interface LogStore {
  /** Bytes held for a job; 0 when there is no copy yet. */
  size(jobId: number): number;
  /** Appends bytes to a job's copy (durably enough to survive a process crash). */
  append(jobId: number, chunk: Buffer): void;
  /** The last `lines` lines (at most `maxBytes` bytes) of a job's copy, as UTF-8; '' when none. */
  tail(jobId: number, lines: number, maxBytes: number): string;
  /** Up to `maxBytes` bytes of a job's copy from byte `fromByte`; empty past its end. */
  read(jobId: number, fromByte: number, maxBytes: number): Buffer;
  /** Path of the copy, for attaching it as a file. */
  path(jobId: number): string;
  /** Releases any open handle of a finished job. */
  close(jobId: number): void;
}
