/**
 * The reaper's and the budget's durable memory (issue 10), part of the Store port. The
 * `claim…` methods are compare-and-set: of two callers racing (overlapping ticks, a second bot
 * process on the same database), exactly one gets true. Times are epoch milliseconds (UTC).
 */
export interface IdleStore {
  /** The reaper's record of a cluster; null before the reaper first saw it. */
  getIdleWatch(clusterId: string): IdleWatchRow | null;
  /** Records activity at `atMs` (never moves the last activity back); creates the record. */
  touchActivity(clusterId: string, atMs: number): void;
  /** Keeps the cluster from reaping until `untilMs` (replacing any earlier keep). */
  setKeep(clusterId: string, untilMs: number, byUserId: string): void;
  /** Marks the warning as posted at `warnedAtMs` when none is outstanding; false when one is. */
  claimWarning(clusterId: string, warnedAtMs: number): boolean;
  /** Remembers where the outstanding warning was posted (to withdraw it in place). */
  setWarningMessage(clusterId: string, ref: { channelId: string; messageId: string }): void;
  /** Clears the warning posted at `warnedAtMs`; false when it was already cleared or replaced. */
  clearWarning(clusterId: string, warnedAtMs: number): boolean;

  /**
   * Moves a ready cluster to `toState` when the warning posted at `warnedAtMs` is still the
   * outstanding one and it has no unfinished job, and ends that warning, atomically; false
   * otherwise.
   */
  claimReap(clusterId: string, warnedAtMs: number, toState: 'stopping' | 'deleting', atMs: number): boolean;

  /** Records that the reaper stopped or deleted a cluster. */
  recordReap(row: ReapRow): void;
  /** Reaps at or after `fromMs` and before `toMs`, oldest first. */
  listReapsBetween(fromMs: number, toMs: number): ReapRow[];

  /** What the reaper last saw of a job; null before it looked. */
  getJobWatch(jobId: number): JobWatchRow | null;
  /** Stores what the reaper sees of a job now. */
  putJobWatch(row: JobWatchRow): void;

  /** Records a budget event (`warn-50`, `approved`…) once per channel and month; false when it was already there. */
  addBudgetEvent(row: {
    channelId: string;
    month: string;
    kind: string;
    atMs: number;
    userId: string | null;
  }): boolean;
  /** Budget events of a channel in a month (`YYYY-MM`). */
  listBudgetEvents(channelId: string, month: string): { kind: string; atMs: number; userId: string | null }[];
}

/** The reaper's record of one cluster. */
export interface IdleWatchRow {
  clusterId: string;
  /** Last time it was seen in use (a job, a user's session), or became ready. */
  lastActiveAtMs: number;
  /** Kept from reaping until then; null when never kept. */
  keepUntilMs: number | null;
  /** Who kept it last. */
  keptBy: string | null;
  /** When the outstanding idle warning was posted; null when there is none. */
  warnedAtMs: number | null;
  /** Where that warning is, to withdraw it in place. */
  warningChannelId: string | null;
  warningMessageId: string | null;
}

/** What the reaper saw of a running job, to tell when it looks stuck. */
export interface JobWatchRow {
  jobId: number;
  /** Log bytes when it last grew. */
  logBytes: number;
  /** When the log last grew (or the reaper first saw the job). */
  lastOutputAtMs: number;
  /** CPU time of its processes on every node, in clock ticks, when last read. */
  cpuTicks: number;
  /** When that CPU time last grew. */
  lastCpuAtMs: number;
  /** When the bot asked in the thread whether it is stuck; null when it has not. */
  stuckAskedAtMs: number | null;
}

/** One act of the reaper. */
export interface ReapRow {
  clusterId: string;
  atMs: number;
  action: 'stop' | 'delete';
  /** Nodes it stopped billing. */
  nodeCount: number;
  /** What the cluster cost per hour when reaped. */
  usdPerHour: number;
}
