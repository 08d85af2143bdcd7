import { MpiboxError, isBotNotInChannel, isMpiboxError } from '../domain/errors.ts';
import { jobRemoteDir, jobScript, mpiexecArgv } from '../domain/job-script.ts';
import { isTerminal, type JobState } from '../domain/job.ts';
import { canModifyCluster } from '../domain/policy.ts';
import type { Chat, MessageRef } from '../ports/chat.ts';
import type { Clock } from '../ports/clock.ts';
import type { ClusterInfo, CloudProvider } from '../ports/cloud-provider.ts';
import type { JobOutcome, JobRunner } from '../ports/job-runner.ts';
import type { LogStore } from '../ports/log-store.ts';
import type { DomainEvents } from '../ports/events.ts';
import type { Logger } from '../ports/logger.ts';
import type { SshTarget } from '../ports/shell.ts';
import type { ClusterRow, JobPatch, JobRow, Store } from '../ports/store.ts';
import type { Actor, Reply } from './actor.ts';
import type { ChatPacer } from './chat-pacer.ts';
import { cause, explain } from './explain.ts';
import { jobCard, jobListMessage } from './job-messages.ts';
import { LogThread } from './log-thread.ts';
import { message } from './messages.ts';
import { resolveCluster } from './resolve-cluster.ts';
import type { TaskTracker } from './task-tracker.ts';

// Longer than STYLE's 300 lines on purpose: queueing, the per-job supervisor, cancel and the
// final report share one piece of state (cancels in flight) and one job state machine; split
// across files they would have to export it. The remote side is in domain/job-script.ts.

/** Appended to a note when node 0 could not be reached to stop a job that may have started. */
const UNCHECKED = ' (and node 0 could not be checked for a late start)';

/** Read size when a restarted thread catches up from the bot's copy of a log. */
const CATCH_UP_CHUNK_BYTES = 256 * 1024;

export interface JobLimits {
  /** Jobs running at once per cluster; the rest wait in FIFO order. */
  jobsPerCluster: number;
  /** Between SIGTERM and SIGKILL on cancel. */
  cancelGraceInMs: number;
  /** A job whose node cannot be reached for this long is marked lost. */
  lostAfterInMs: number;
  /** How often the parent message refreshes its elapsed time. */
  cardRefreshInMs: number;
  adminIds: readonly string[];
}

export interface JobServiceDeps {
  store: Store;
  provider: CloudProvider;
  runner: JobRunner;
  logs: LogStore;
  chat: Chat;
  pacer: ChatPacer;
  clock: Clock;
  logger: Logger;
  /** Cluster operations (waited for when a command names a cluster being created). */
  clusterTracker: TaskTracker;
  /** Job supervisors: one long task per running job. */
  jobTracker: TaskTracker;
  /** A job's end is published here (the reaper, the log archive and metrics listen). */
  events: DomainEvents;
  limits: JobLimits;
  /** Copies a finished job's log to the archive; resolves with the line for its thread (a read link), or null. */
  archiveLog?: (job: JobRow) => Promise<string | null>;
  /** Reads the tail of an archived log when the bot's own copy is gone. */
  archivedTail?: (job: JobRow, lines: number, maxBytes: number) => Promise<string>;
  /** A finished job's cost line for its thread (`2 h 10 min on 8 × …: $62.40`); null: unpriced. */
  jobCost?: (job: JobRow) => string | null;
}

/**
 * Jobs: `/mpi run` queues a job, a supervisor per running job starts it detached on node 0,
 * follows its log by byte offset into the bot's own copy and the chat thread, re-attaches
 * after dropped connections and restarts, and records how it ended.
 */
export class JobService {
  readonly #deps: JobServiceDeps;
  readonly #supervised = new Set<number>();
  /** Cancels in flight: a job's end is reported only once its processes are confirmed gone. */
  readonly #cancels = new Map<number, Promise<void>>();
  /**
   * Cancelled jobs whose processes are confirmed gone, until their end is recorded. In memory
   * on purpose: after a restart a cancelled, unfinished job is killed again (harmless when its
   * processes are already gone).
   */
  readonly #killed = new Set<number>();
  /** Kill retries of cancelled jobs whose kill failed: one loop per job. */
  readonly #killRetries = new Map<number, Promise<void>>();
  /** Jobs whose kill retries ran out (their note says so); their end is recorded without more. */
  readonly #killGaveUp = new Set<number>();
  /** Jobs whose message is being posted: not started before it is (its log needs a thread). */
  readonly #posting = new Set<number>();
  /** Per supervised job: aborts its log follow (its cluster is being deleted). */
  readonly #follows = new Map<number, AbortController>();

  constructor(deps: JobServiceDeps) {
    this.#deps = deps;
  }

  async run(
    actor: Actor,
    request: {
      cluster: string | null;
      ranks: number | null;
      ranksPerNode: number | null;
      timeoutInMs: number | null;
      command: string;
    },
  ): Promise<Reply> {
    const { store, provider, clock, clusterTracker } = this.#deps;
    const cluster = await resolveCluster(store, clusterTracker, actor, request.cluster);
    if (cluster.state !== 'ready')
      throw new MpiboxError('conflict', 'busy', { name: cluster.name, state: cluster.state });
    const info = await provider.info(cluster.id);
    if (!info) throw new MpiboxError('provider', 'the cluster has no nodes', { name: cluster.name });
    // Re-read after the await, with none until the job is inserted: a resize accepted meanwhile
    // must not get a job sized for the old nodes.
    const now = store.getCluster(cluster.id);
    if (now?.state !== 'ready')
      throw new MpiboxError('conflict', 'busy', { name: cluster.name, state: now?.state ?? 'deleted' });
    const slots = info.nodes.reduce((sum, node) => sum + node.slots, 0);
    const ranks = request.ranks ?? (request.ranksPerNode ? request.ranksPerNode * info.nodes.length : slots);
    const capacity = request.ranksPerNode ? request.ranksPerNode * info.nodes.length : slots;
    if (ranks > capacity) {
      throw new MpiboxError(
        'bad-input',
        `${cluster.name} has room for ${capacity} ranks (${info.nodes.length} nodes × ${request.ranksPerNode ?? slots / info.nodes.length}); -n ${ranks} would oversubscribe it. Use fewer ranks or \`/mpi resize\``,
        {},
      );
    }
    const job = store.insertJob({
      clusterId: cluster.id,
      channelId: cluster.channelId,
      userId: actor.userId,
      command: request.command,
      ranks,
      ranksPerNode: request.ranksPerNode,
      timeoutInMs: request.timeoutInMs,
      submittedAtMs: clock.nowInMs(),
    });
    // Jobs that must end before this one starts: all earlier unfinished ones but the run slots.
    const ahead = Math.max(
      0,
      store.listUnfinishedJobs(cluster.id).filter((other) => other.id < job.id).length -
        this.#deps.limits.jobsPerCluster +
        1,
    );
    // Chat calls for a channel go through the pacer (Slack allows about one a second).
    let failure: unknown = null;
    this.#posting.add(job.id);
    try {
      await this.#deps.pacer.submit(cluster.channelId, `post-${job.id}`, async () => {
        try {
          const ref = await this.#deps.chat.post(
            cluster.channelId,
            jobCard(job, cluster.name, clock.nowInMs(), ahead),
          );
          store.updateJob(job.id, { messageChannelId: ref.channelId, messageId: ref.messageId });
        } catch (error) {
          failure = error;
          this.#deps.logger.warn('job message could not be posted', { jobId: job.id, error });
        }
      });
    } finally {
      this.#posting.delete(job.id);
    }
    if (isBotNotInChannel(failure)) {
      // Its log would have nowhere to go: the job does not start (nothing started it meanwhile).
      if (this.#job(job.id).state === 'queued') {
        this.#updateJob(job.id, { state: 'cancelled', endedAtMs: clock.nowInMs(), note: explain(failure) });
      }
      this.#schedule(cluster.id);
      throw failure;
    }
    this.#schedule(cluster.id);
    const queued = ahead > 0;
    return {
      visibility: 'ephemeral',
      message: message(
        `Job #${job.id} on \`${cluster.name}\` (${ranks} ranks)${queued ? `: queued behind ${ahead} job(s)` : ': starting'}. ` +
          'Its log streams into the thread of the job message.',
      ),
    };
  }

  async list(actor: Actor, request: { cluster: string | null }): Promise<Reply> {
    const cluster = await resolveCluster(this.#deps.store, this.#deps.clusterTracker, actor, request.cluster);
    const jobs = this.#deps.store.listJobs(cluster.id, 15);
    return {
      visibility: 'ephemeral',
      message: jobListMessage(cluster.name, jobs, this.#deps.clock.nowInMs()),
    };
  }

  async logs(actor: Actor, request: { jobId: number; tail: number | null }): Promise<Reply> {
    const job = this.#visibleJob(actor, request.jobId);
    const lines = request.tail ?? 50;
    const local = this.#deps.logs.tail(job.id, lines, 64 * 1024);
    // The bot's own copy may be gone (a new data folder); a finished job's log is archived.
    const text =
      local === '' && job.endedAtMs !== null && this.#deps.archivedTail
        ? await this.#deps.archivedTail(job, lines, 64 * 1024).catch(() => '')
        : local;
    if (text === '')
      return {
        visibility: 'ephemeral',
        message: message(`Job #${job.id} has no output yet (${job.state}).`),
      };
    const shown = text.length > 2_900 ? text.slice(text.length - 2_900) : text;
    return {
      visibility: 'ephemeral',
      message: message(`Last ${lines} lines of job #${job.id} (${job.state}):\n${shown}`, [
        { kind: 'text', text: `Last lines of job #${job.id} (${job.state}):` },
        { kind: 'code', text: shown },
      ]),
    };
  }

  async cancel(actor: Actor, request: { jobId: number }): Promise<Reply> {
    const job = this.#visibleJob(actor, request.jobId);
    const cluster = this.#cluster(job.clusterId);
    const allowed =
      job.userId === actor.userId || canModifyCluster(actor.userId, cluster, this.#deps.limits.adminIds);
    if (!allowed)
      throw new MpiboxError('forbidden', 'not owner', {
        verb: 'cancel job',
        name: `#${job.id}`,
        ownerId: job.userId,
      });
    if (isTerminal(job.state)) {
      return { visibility: 'ephemeral', message: message(`Job #${job.id} already ended (${job.state}).`) };
    }
    const failure = await this.#stop(job.id, `cancelled by <@${actor.userId}>`);
    return {
      visibility: 'ephemeral',
      message: message(
        failure
          ? `Cancelling job #${job.id}: not every process of it could be stopped yet: ${cause(failure)}. ` +
              'mpibox keeps trying; the job message says `cancelled` once they are all gone.'
          : `Cancelling job #${job.id}: every process of it on every node is being stopped.`,
      ),
    };
  }

  /** Before a cluster is deleted: queued and running jobs end as cancelled, with the reason. */
  async stopAllOnCluster(clusterId: string, note: string): Promise<void> {
    for (const job of this.#deps.store.listJobsByState(['queued', 'running'], clusterId)) {
      await this.#stop(job.id, note).catch((error: unknown) =>
        this.#deps.logger.warn('job stop failed', { jobId: job.id, error }),
      );
    }
    // The nodes are about to go: a job whose kill could not be confirmed is not followed to its
    // end (that could wait forever); deleting the nodes ends whatever is left of it.
    for (const job of this.#deps.store.listUnfinishedJobs(clusterId)) {
      if (!this.#killed.has(job.id)) this.#follows.get(job.id)?.abort();
    }
    for (const job of this.#deps.store.listUnfinishedJobs(clusterId)) {
      await this.#deps.jobTracker.waitFor(`job-${job.id}`);
    }
  }

  /**
   * After a restart: re-attach to running jobs, finish cancelling the ones whose cancel was
   * not confirmed, and start queued ones.
   */
  /**
   * Before the bot stops (SIGTERM): records how far every running job's log is, so the next
   * start resumes there. The jobs themselves keep running on their nodes.
   */
  checkpoint(): void {
    const { store, logs } = this.#deps;
    for (const job of store.listJobsByState(['running']))
      store.updateJob(job.id, { logBytes: logs.size(job.id) });
  }

  recoverAll(): void {
    const unfinished = this.#deps.store.listUnfinishedJobs();
    for (const job of unfinished) if (job.state !== 'queued') this.#supervise(job.id);
    for (const clusterId of new Set(unfinished.map((job) => job.clusterId))) this.#schedule(clusterId);
  }

  /** Starts queued jobs of a cluster that became ready again (after a resize). */
  resume(clusterId: string): void {
    this.#schedule(clusterId);
  }

  /**
   * Starts queued jobs while the cluster has free run slots. A cancelled job holds its slot
   * until its processes are confirmed gone. Nothing starts while the cluster is not ready
   * (a resize could remove nodes under it); `resume` is called when it is again.
   */
  #schedule(clusterId: string): void {
    const { store, clock, limits } = this.#deps;
    if (store.getCluster(clusterId)?.state !== 'ready') return;
    const unfinished = store.listUnfinishedJobs(clusterId);
    const running = unfinished.filter((job) => job.state !== 'queued').length;
    const queued = unfinished.filter((job) => job.state === 'queued');
    // In order, up to the first job whose message is still being posted (FIFO holds).
    const posting = queued.findIndex((job) => this.#posting.has(job.id));
    const ready = posting < 0 ? queued : queued.slice(0, posting);
    for (const job of ready.slice(0, Math.max(0, limits.jobsPerCluster - running))) {
      store.updateJob(job.id, { state: 'running', startedAtMs: clock.nowInMs() });
      this.#supervise(job.id);
    }
  }

  #supervise(jobId: number): void {
    if (this.#supervised.has(jobId)) return;
    this.#supervised.add(jobId);
    const follow = new AbortController();
    this.#follows.set(jobId, follow);
    void this.#deps.jobTracker.run(`job-${jobId}`, async () => {
      try {
        await this.#runToEnd(jobId, follow.signal);
      } finally {
        this.#supervised.delete(jobId);
        this.#follows.delete(jobId);
        const job = this.#deps.store.getJob(jobId);
        if (job) this.#schedule(job.clusterId);
      }
    });
  }

  async #runToEnd(jobId: number, abortFollow: AbortSignal): Promise<void> {
    const { store, logs, clock, logger, limits } = this.#deps;
    let job = this.#job(jobId);
    const cluster = this.#cluster(job.clusterId);
    let info = await this.#deps.provider.info(cluster.id).catch(() => null);
    if (!info || !info.nodes[0])
      return this.#finish(jobId, { kind: 'vanished' }, 'its cluster has no nodes any more');
    const target = () => jobTarget(info!, info!.nodes[0]!);

    if (job.pid === null) {
      // Starting is idempotent on the node (the job folder is the lock), so a start whose answer
      // was lost (connection dropped after the launch) is simply asked again: same job, same pid.
      for (let attempt = 1; job.pid === null; attempt += 1) {
        job = this.#job(jobId);
        if (job.state === 'cancelled') {
          // Cancelled before it was launched (or before a restart, with the answer unknown):
          // launch nothing, and stop what an earlier attempt may have started after all.
          const checked = await this.#undoStart(job, info);
          return this.#finish(jobId, null, checked ? null : `${job.note ?? 'cancelled'}${UNCHECKED}`);
        }
        try {
          job = await this.#start(job, cluster, info, target());
        } catch (error) {
          logger.warn('job start failed', { jobId, attempt, error });
          if (attempt >= 3) {
            const checked = await this.#undoStart(job, info);
            const note = `it could not start: ${cause(error)}${checked ? '' : UNCHECKED}`;
            return this.#finish(jobId, null, note);
          }
          await this.#deps.clock.sleep(1000 * attempt);
        }
      }
    }
    // Cancelled while it was being started, or before a restart without the kill confirmed:
    // the mark is set, the processes still need killing (retried until confirmed; the log is
    // followed meanwhile, and #finish waits for the outcome).
    if (job.state === 'cancelled' && !this.#killed.has(jobId)) void this.#ensureKilled(jobId, false);
    // Not awaited: the card waits its turn in the pacer, the log must not wait for the card.
    void this.#updateCard(jobId);

    const thread = this.#logThread(job);
    const timers = this.#startTimers(job);
    let lastSavedAtMs = clock.nowInMs();
    let unreachableSinceMs: number | null = null;
    // Ours, not a retry package's: between attempts this loop re-reads the job and its cluster
    // (cancelled, being deleted, unreachable past the `lost` limit) and resumes the stream from
    // the byte it has, which a generic retry wrapper would hide.
    let backoffInMs = 250;
    let outcome: JobOutcome | null = null;
    try {
      while (outcome === null) {
        if (abortFollow.aborted) {
          outcome = { kind: 'vanished' }; // its cluster is being deleted
          break;
        }
        try {
          outcome = await this.#deps.runner.follow(
            target(),
            { remoteDir: job.remoteDir ?? '', pid: job.pid ?? 0, fromByte: logs.size(jobId) },
            (chunk) => {
              logs.append(jobId, chunk);
              thread?.pushBytes(chunk);
              unreachableSinceMs = null;
              if (clock.nowInMs() - lastSavedAtMs >= 1000) {
                lastSavedAtMs = clock.nowInMs();
                store.updateJob(jobId, { logBytes: logs.size(jobId) });
              }
            },
            abortFollow,
          );
        } catch (error) {
          if (!isMpiboxError(error)) throw error;
          const current = this.#job(jobId);
          const clusterNow = store.getCluster(job.clusterId);
          // A cancelled job whose processes are not confirmed gone may still run: keep following.
          const unconfirmed = current.state === 'cancelled' && !this.#killed.has(jobId);
          if (
            (isTerminal(current.state) && !unconfirmed) ||
            abortFollow.aborted ||
            !clusterNow ||
            clusterNow.state === 'deleted' ||
            clusterNow.state === 'deleting'
          ) {
            outcome = { kind: 'vanished' };
            break;
          }
          unreachableSinceMs ??= clock.nowInMs();
          if (clock.nowInMs() - unreachableSinceMs > limits.lostAfterInMs) {
            outcome = { kind: 'vanished' };
            const unreachable = `node 0 was unreachable for ${Math.round(limits.lostAfterInMs / 60_000)} min: ${cause(error)}`;
            store.updateJob(jobId, { note: current.note ? `${current.note}; ${unreachable}` : unreachable });
            break;
          }
          logger.info('log connection lost; resuming', {
            jobId,
            fromByte: logs.size(jobId),
            code: error.code,
          });
          await clock.sleep(backoffInMs);
          backoffInMs = Math.min(backoffInMs * 2, 10_000);
          info = (await this.#deps.provider.info(job.clusterId).catch(() => null)) ?? info;
        }
      }
    } finally {
      timers.abort();
      thread?.endBytes();
      logs.close(jobId);
    }
    await this.#finish(jobId, outcome, null, thread);
  }

  /**
   * The job's chat thread, resuming where the channel last saw it: what the bot's copy holds
   * past that point (saved, not yet shown, before a restart) is fed in before anything new.
   */
  #logThread(job: JobRow): LogThread | null {
    const parent = this.#parentRef(job);
    if (!parent) return null;
    const { store, logs } = this.#deps;
    const thread = new LogThread({
      chat: this.#deps.chat,
      pacer: this.#deps.pacer,
      pacerKey: job.channelId,
      parent,
      slot: `log-${job.id}`,
      shownThrough: job.chatBytes,
      onShown: (chatBytes) => store.updateJob(job.id, { chatBytes }),
    });
    for (let chunk = logs.read(job.id, thread.nextByte, CATCH_UP_CHUNK_BYTES); chunk.length > 0;) {
      thread.pushBytes(chunk);
      chunk = logs.read(job.id, thread.nextByte, CATCH_UP_CHUNK_BYTES);
    }
    return thread;
  }

  async #start(
    job: JobRow,
    cluster: ClusterRow,
    info: ClusterInfo,
    target: { host: string; port: number; user: string },
  ): Promise<JobRow> {
    const remoteDir = jobRemoteDir(info.sharedDir, job.id);
    const script = jobScript({
      jobId: job.id,
      remoteDir,
      workDir: info.workDir,
      mpiexecArgv: mpiexecArgv({
        launcher: this.#deps.provider.launcher,
        machinefile: info.machinefilePath,
        ranks: job.ranks,
        ranksPerNode: job.ranksPerNode,
      }),
      userCommand: job.command,
    });
    const { pid } = await this.#deps.runner.start(target, { remoteDir, script });
    this.#deps.logger.info('job started', { jobId: job.id, cluster: cluster.name, pid });
    return this.#deps.store.updateJob(job.id, { pid, remoteDir });
  }

  /**
   * After giving up on a start: the launch may have happened with only its answer lost, so
   * stop whatever runs under the job's folder and keep a launch still on its way from
   * starting. False when the nodes could not be reached for that either.
   */
  async #undoStart(job: JobRow, info: ClusterInfo): Promise<boolean> {
    const targets = info.nodes.map((node) => jobTarget(info, node));
    try {
      await this.#deps.runner.cancel(
        targets,
        { jobId: job.id, remoteDir: jobRemoteDir(info.sharedDir, job.id), pid: null },
        this.#deps.limits.cancelGraceInMs,
      );
      return true;
    } catch (error) {
      this.#deps.logger.warn('could not undo a failed job start', { jobId: job.id, error });
      return false;
    }
  }

  /**
   * Timeout and elapsed-time refresh, measured from the job's recorded start, on the Clock
   * (a fake clock fires them in tests). Aborting the returned controller ends both.
   */
  #startTimers(job: JobRow): AbortController {
    const { clock, limits, logger } = this.#deps;
    const timers = new AbortController();
    const ignoreAbort = (error: unknown) => {
      if (!timers.signal.aborted) logger.warn('job timer failed', { jobId: job.id, error });
    };
    if (job.timeoutInMs !== null && job.startedAtMs !== null) {
      const minutes = Math.round(job.timeoutInMs / 60_000);
      const limit = minutes >= 1 ? `${minutes} min` : `${Math.round(job.timeoutInMs / 1000)} s`;
      clock
        .at(job.startedAtMs + job.timeoutInMs, timers.signal)
        .then(() => this.#stop(job.id, `timed out after ${limit} (--timeout)`))
        .catch(ignoreAbort);
    }
    void (async () => {
      for (let next = clock.nowInMs() + limits.cardRefreshInMs; ; next += limits.cardRefreshInMs) {
        await clock.at(next, timers.signal);
        void this.#updateCard(job.id);
      }
    })().catch(ignoreAbort);
    return timers;
  }

  /**
   * Marks a job cancelled (with why) and stops its processes on every node. Resolves with the
   * error when the kill failed: the mark stays, and the job's supervisor tries again before it
   * records the end (see #finish), also after a restart.
   */
  async #stop(jobId: number, note: string): Promise<unknown> {
    const { clock } = this.#deps;
    const job = this.#job(jobId);
    if (isTerminal(job.state)) return null;
    const wasQueued = job.state === 'queued';
    this.#updateJob(jobId, {
      state: 'cancelled',
      note,
      ...(wasQueued ? { endedAtMs: clock.nowInMs() } : {}),
    });
    if (wasQueued || job.pid === null || job.remoteDir === null) {
      // A job still starting is killed by its supervisor once its pid is known.
      await this.#updateCard(jobId);
      return null;
    }
    void this.#updateCard(jobId); // "cancelling…" until the processes are confirmed gone
    try {
      await this.#kill(job);
      return null;
    } catch (error) {
      this.#deps.logger.warn('job kill failed', { jobId, error });
      void this.#ensureKilled(jobId, true);
      return error;
    }
  }

  /** Kills a started job's processes on every node; its end is reported once this is done. */
  async #kill(job: JobRow): Promise<void> {
    const { provider, runner, limits } = this.#deps;
    const { id: jobId, remoteDir, pid } = job;
    if (remoteDir === null || pid === null) return;
    const inFlight = this.#cancels.get(jobId);
    if (inFlight) return inFlight; // a double click, or the supervisor and a command at once
    const cancel = (async () => {
      const info = await provider.info(job.clusterId);
      const targets = info ? info.nodes.map((node) => jobTarget(info, node)) : [];
      await runner.cancel(targets, { jobId, remoteDir, pid }, limits.cancelGraceInMs);
      this.#killed.add(jobId);
    })();
    this.#cancels.set(jobId, cancel);
    try {
      await cancel;
    } finally {
      this.#cancels.delete(jobId);
    }
  }

  /**
   * A cancelled job's processes must be confirmed gone before its end is recorded: kills it
   * again and again (1 s, 2 s, 4 s … at most 30 s apart) until one succeeds, for up to the
   * time after which an unreachable node's job counts as lost; then says so in its note. One
   * loop per job; not for a cluster being deleted (its nodes go away).
   */
  #ensureKilled(jobId: number, afterFailure: boolean): Promise<void> {
    if (this.#killGaveUp.has(jobId)) return Promise.resolve();
    let loop = this.#killRetries.get(jobId);
    if (!loop) {
      loop = this.#killUntilConfirmed(jobId, afterFailure).finally(() => this.#killRetries.delete(jobId));
      this.#killRetries.set(jobId, loop);
      void this.#deps.jobTracker.run(`kill-${jobId}`, () => loop!); // idle() waits for it
    }
    return loop;
  }

  async #killUntilConfirmed(jobId: number, afterFailure: boolean): Promise<void> {
    const { store, clock, logger, limits } = this.#deps;
    const since = clock.nowInMs();
    let delayInMs = 1000;
    for (let attempt = 1; ; attempt += 1) {
      if (afterFailure || attempt > 1) {
        await clock.sleep(delayInMs);
        delayInMs = Math.min(delayInMs * 2, 30_000);
      }
      const job = this.#job(jobId);
      const cluster = store.getCluster(job.clusterId);
      if (job.state !== 'cancelled' || job.endedAtMs !== null || job.pid === null) return;
      if (this.#killed.has(jobId)) return;
      if (!cluster || cluster.state === 'deleting' || cluster.state === 'deleted') return;
      try {
        await this.#kill(job);
        return;
      } catch (error) {
        logger.warn('job kill failed', { jobId, attempt, error });
        if (clock.nowInMs() - since >= limits.lostAfterInMs) {
          store.updateJob(jobId, {
            note: `${job.note ?? 'cancelled'}; its processes could not be confirmed stopped on every node: ${cause(error)}`,
          });
          this.#killGaveUp.add(jobId);
          return;
        }
      }
    }
  }

  /** Records how a job ended, updates its message and attaches the complete log. */
  async #finish(
    jobId: number,
    outcome: JobOutcome | null,
    note: string | null,
    thread: LogThread | null = null,
  ): Promise<void> {
    const { clock, logs, chat } = this.#deps;
    await this.#cancels.get(jobId)?.catch(() => undefined);
    if (this.#job(jobId).state === 'cancelled') await this.#ensureKilled(jobId, false);
    this.#killed.delete(jobId);
    this.#killGaveUp.delete(jobId);
    const job = this.#job(jobId);
    const patch: JobPatch = { endedAtMs: job.endedAtMs ?? clock.nowInMs(), logBytes: logs.size(jobId) };
    if (outcome?.kind === 'exited') patch.exitCode = outcome.exitCode;
    if (!isTerminal(job.state)) {
      const state: JobState =
        outcome === null
          ? 'failed'
          : outcome.kind === 'vanished'
            ? 'lost'
            : outcome.exitCode === 0
              ? 'succeeded'
              : 'failed';
      patch.state = state;
      patch.note =
        note ??
        job.note ??
        (state === 'lost'
          ? 'its processes ended without writing an exit status (node restarted or killed?)'
          : null);
    }
    this.#updateJob(jobId, patch);
    // The end is recorded and the next queued job may start before any chat call: Slack being
    // slow or rate-limiting must not hold a finished job in `running`.
    this.#schedule(job.clusterId);
    await thread?.finish();
    await this.#updateCard(jobId);
    const costed = this.#deps.jobCost?.(this.#job(jobId)) ?? null;
    const costParent = this.#parentRef(job);
    if (costed && costParent) {
      await this.#deps.pacer.submit(job.channelId, `cost-${jobId}`, async () => {
        await chat
          .post(costParent.channelId, message(`Job #${jobId} ran ${costed}.`), costParent)
          .catch((error: unknown) => this.#deps.logger.warn('job cost note failed', { jobId, error }));
      });
    }
    const parent = this.#parentRef(job);
    if (parent && logs.size(jobId) > 0) {
      await this.#deps.pacer.submit(job.channelId, `attach-${jobId}`, () =>
        chat.attach(parent, {
          name: `job-${jobId}.log`,
          title: `Complete log of job #${jobId}`,
          path: logs.path(jobId),
        }),
      );
      // Next to the attached file: the archived copy and its short-lived link.
      const archived = await this.#deps.archiveLog?.(this.#job(jobId));
      if (archived) {
        await this.#deps.pacer.submit(job.channelId, `archive-${jobId}`, async () => {
          await chat
            .post(parent.channelId, message(archived), parent)
            .catch((error: unknown) => this.#deps.logger.warn('archive note failed', { jobId, error }));
        });
      }
    }
  }

  async #updateCard(jobId: number): Promise<void> {
    const job = this.#job(jobId);
    const parent = this.#parentRef(job);
    const cluster = this.#deps.store.getCluster(job.clusterId);
    if (!parent || !cluster) return;
    await this.#deps.pacer.submit(job.channelId, `card-${jobId}`, async () => {
      const latest = this.#job(jobId); // the newest state when our turn comes
      await this.#deps.chat.update(parent, jobCard(latest, cluster.name, this.#deps.clock.nowInMs()));
    });
  }

  /** A job of a cluster in the caller's channel. */
  #visibleJob(actor: Actor, jobId: number): JobRow {
    const job = this.#deps.store.getJob(jobId);
    if (!job || job.channelId !== actor.channelId)
      throw new MpiboxError('not-found', 'no such job', { jobId });
    return job;
  }

  #parentRef(job: JobRow): MessageRef | null {
    return job.messageChannelId && job.messageId
      ? { channelId: job.messageChannelId, messageId: job.messageId }
      : null;
  }

  /** Updates a job; the patch that ends it (sets endedAtMs) also publishes `job-ended`. */
  #updateJob(jobId: number, patch: JobPatch): JobRow {
    const before = this.#deps.store.getJob(jobId);
    const row = this.#deps.store.updateJob(jobId, patch);
    if (before?.endedAtMs === null && row.endedAtMs !== null) {
      this.#deps.events.publish({
        type: 'job-ended',
        jobId,
        clusterId: row.clusterId,
        state: row.state,
        atMs: row.endedAtMs,
      });
    }
    return row;
  }

  #job(jobId: number): JobRow {
    const job = this.#deps.store.getJob(jobId);
    if (!job) throw new MpiboxError('not-found', 'no such job', { jobId });
    return job;
  }

  #cluster(clusterId: string): ClusterRow {
    const cluster = this.#deps.store.getCluster(clusterId);
    if (!cluster) throw new MpiboxError('not-found', 'no such cluster', { clusterId });
    return cluster;
  }
}

/** Where the bot runs a job's commands on `node`: its own login, as the job user if need be. */
function jobTarget(info: ClusterInfo, node: ClusterInfo['nodes'][number]): SshTarget {
  return {
    host: node.host,
    port: node.port,
    user: info.botUser,
    ...(info.jobsRunAs !== null ? { runAs: info.jobsRunAs } : {}),
  };
}
