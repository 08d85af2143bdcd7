import type { SshTarget } from './shell.ts';

/**
 * Runs jobs detached on a cluster's node 0 and follows their logs. The job lives on the node
 * (its own session and process group), so it survives the SSH connection and the bot; the
 * bot can always re-attach from a byte offset.
 */
export interface JobRunner {
  /**
   * Creates the job folder and starts the job unless the folder already exists (then the
   * job started before: its pid is returned again). Idempotent per `remoteDir`.
   */
  start(target: SshTarget, launch: JobLaunch, abortSignal?: AbortSignal): Promise<{ pid: number }>;
  /**
   * Streams the log from byte `fromByte` until the job's process has exited and the log is
   * read to its end, calling `onData` per chunk (awaited, so a slow consumer slows the
   * stream instead of buffering it). Resolves with how the job ended; rejects with
   * MpiboxError('provider') when the connection drops, so the caller resumes from its offset.
   */
  follow(
    target: SshTarget,
    job: { remoteDir: string; pid: number; fromByte: number },
    onData: (chunk: Buffer) => void | Promise<void>,
    abortSignal?: AbortSignal,
  ): Promise<JobOutcome>;
  /**
   * Stops the job: SIGTERM to its process group on node 0 (mpiexec passes it to every rank),
   * SIGKILL after `graceInMs`, then kills any process still carrying the job's id on every
   * node in `targets`. Succeeds when the job is already gone. With `pid` null (a start whose
   * answer never came) the pid is read from the job folder, and a launch still on its way is
   * kept from starting.
   */
  cancel(
    targets: readonly SshTarget[],
    job: { jobId: number; remoteDir: string; pid: number | null },
    graceInMs: number,
  ): Promise<void>;
}

/** What `start` needs. */
export interface JobLaunch {
  /** Folder for the job's script, log, pid and exit status (on the shared folder). */
  remoteDir: string;
  /** The complete job script (see domain/job-script.ts). */
  script: string;
}

/** How a followed job ended. */
export type JobOutcome =
  | { kind: 'exited'; exitCode: number } // the job's shell wrote its exit status
  | { kind: 'vanished' }; // its process is gone and it left no exit status
