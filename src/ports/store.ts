import type { ClusterState, NodeState, ProviderKind } from '../domain/cluster.ts';
import type { JobState } from '../domain/job.ts';
import type { IdleStore } from './idle-store.ts';

/**
 * Durable state behind one port. Methods are synchronous on purpose: the SQLite adapter runs
 * in-process, and a synchronous `transaction` cannot interleave with other work, so a
 * multi-row change is all-or-nothing. Times are epoch milliseconds (UTC).
 */
export interface Store extends IdleStore {
  /** Runs `work` in one transaction; a throw rolls everything back and rethrows. Nestable. */
  transaction<T>(work: () => T): T;

  /** Inserts a new cluster. Throws MpiboxError('conflict') if a live cluster has the name. */
  insertCluster(row: NewClusterRow): ClusterRow;
  /** The cluster with this id, deleted or not; null when there is none. */
  getCluster(id: string): ClusterRow | null;
  /** The live (not deleted, not failed) cluster with this name; null when there is none. */
  findLiveClusterByName(name: string): ClusterRow | null;
  /** Live clusters, oldest first; only those of `channelId` when given. Rows are read-only. */
  listLiveClusters(channelId?: string): ClusterRow[];
  /** Applies a partial update and bumps `updatedAtMs`; returns the new row. Throws not-found. */
  updateCluster(id: string, patch: ClusterPatch): ClusterRow;

  /** Replaces the node rows of a cluster with `nodes` (the provider's latest view). */
  setNodes(clusterId: string, nodes: NewNodeRow[]): void;
  /** Nodes of a cluster ordered by index; empty when none. */
  listNodes(clusterId: string): NodeRow[];

  /** Opens a usage interval for a node (billing starts). No-op if one is already open. */
  openUsage(row: NewUsageRow): void;
  /** Closes the open interval of a node (billing stops). No-op if none is open. */
  closeUsage(clusterId: string, nodeName: string, stoppedAtMs: number): void;
  /** Every interval of a cluster, open ones with `stoppedAtMs` null. */
  listUsage(clusterId: string): UsageRow[];
  /** Intervals of every cluster that overlap [fromMs, toMs), with owner and channel; oldest first. */
  listUsageBetween(fromMs: number, toMs: number): UsageCostRow[];

  /**
   * Records a user (Slack user id or console name) and that they were seen in a channel.
   * Returns true when this is the user's first time in that channel.
   */
  touchUser(userId: string, displayName: string, channelId: string, atMs: number): boolean;
  /** The name a user was last seen with (for charts); null for an unknown user. */
  displayName(userId: string): string | null;
  /** User ids seen in a channel. */
  listChannelMembers(channelId: string): string[];
  /** Channel ids a user has been seen in. */
  listUserChannels(userId: string): string[];

  /** Adds a public key. Throws conflict if the fingerprint is already registered. */
  addKey(row: KeyRow): void;
  /** Keys of one user, oldest first. */
  listKeys(userId: string): KeyRow[];
  /** Keys of every user seen in a channel (these may log in to the channel's clusters). */
  listChannelKeys(channelId: string): KeyRow[];
  /** Removes a user's key; returns false when that user has no key with that fingerprint. */
  removeKey(userId: string, fingerprint: string): boolean;

  /** Inserts a queued job and returns it with its new id (1, 2, 3… never reused). */
  insertJob(row: NewJobRow): JobRow;
  /** The job with this id; null when there is none. */
  getJob(id: number): JobRow | null;
  /** Applies a partial update; returns the new row. Throws not-found. */
  updateJob(id: number, patch: JobPatch): JobRow;
  /** Jobs of a cluster, newest first, at most `limit`. */
  listJobs(clusterId: string, limit: number): JobRow[];
  /** Jobs in any of `states`, oldest (lowest id) first; all clusters, or one when given. */
  listJobsByState(states: readonly JobState[], clusterId?: string): JobRow[];
  /**
   * Jobs with no end time yet, oldest first: queued, running, and cancelled ones whose
   * processes are not yet confirmed gone. All clusters, or one when given.
   */
  listUnfinishedJobs(clusterId?: string): JobRow[];

  /**
   * Appends one line to the audit log. Inside a transaction it is part of it; otherwise the
   * lines of one event-loop turn are committed together right after that turn (a process
   * crash within it can lose them). Reads through this store always see every line.
   */
  audit(row: NewAuditRow): void;
  /** Most recent audit lines first. */
  listAudit(limit: number): AuditRow[];

  /** Closes the underlying connection. */
  close(): void;
}

/** What a caller supplies to create a cluster record. */
export interface NewClusterRow {
  /** Stable id (also the provider's handle); never reused. */
  id: string;
  /** User-facing name, unique among live clusters. */
  name: string;
  /** Chat channel the cluster belongs to. */
  channelId: string;
  /** User id of the creator (may resize and down it). */
  ownerId: string;
  /** Which provider holds its nodes. */
  provider: ProviderKind;
  /** Node size (SKU) name. */
  size: string;
  /** Whether nodes are spot (evictable) capacity. */
  spot: boolean;
  /** Desired node count. */
  nodeCount: number;
  /** Creation time. */
  createdAtMs: number;
}

/** A stored cluster. */
export interface ClusterRow extends NewClusterRow {
  /** Current lifecycle state. */
  state: ClusterState;
  /** Last change to this row. */
  updatedAtMs: number;
  /** When it reached `deleted`; null while live. */
  deletedAtMs: number | null;
  /** Chat message (the cluster card) to update in place; null until posted. */
  cardChannelId: string | null;
  /** Chat timestamp/id of the cluster card. */
  cardMessageId: string | null;
  /** Last failure, for status; null when fine. */
  lastError: string | null;
  /** What the last MPI check across the nodes found (one line for the card); null before one ran. */
  readyCheck: string | null;
}

/** Fields of a cluster that may change after creation. */
export type ClusterPatch = Partial<
  Pick<
    ClusterRow,
    'state' | 'nodeCount' | 'deletedAtMs' | 'cardChannelId' | 'cardMessageId' | 'lastError' | 'readyCheck'
  >
> & { updatedAtMs: number };

/** A node as the provider last reported it. */
export interface NewNodeRow {
  /** 0-based; node 0 is the seed. */
  index: number;
  /** `<cluster>-<index>`. */
  name: string;
  /** Host users connect to (127.0.0.1 for local, a public IP or DNS name on Azure). */
  host: string;
  /** SSH port on `host`. */
  port: number;
  /** MPI slots (ranks) this node offers. */
  slots: number;
  /** Provider-reported state. */
  state: NodeState;
}

/** A stored node. */
export interface NodeRow extends NewNodeRow {
  clusterId: string;
}

/** What opens a usage interval: a node allocated, and what it is billed at. */
export interface NewUsageRow {
  clusterId: string;
  nodeName: string;
  /** Size (SKU) billed for the interval. */
  size: string;
  startedAtMs: number;
  /** Region the price is for (local clusters: their equivalent's); null when unknown. */
  region?: string | null;
  /** Spot capacity (its own, lower price). */
  spot?: boolean;
  /** USD per node-hour in force when it started; null when no price was known. */
  usdPerHour?: number | null;
}

/** One start/stop interval of one node, for cost. */
export interface UsageRow {
  clusterId: string;
  nodeName: string;
  /** Size (SKU) billed for the interval. */
  size: string;
  startedAtMs: number;
  /** null while the node is still running. */
  stoppedAtMs: number | null;
  region: string | null;
  spot: boolean;
  /** USD per node-hour in force when it started; null when no price was known. */
  usdPerHour: number | null;
}

/** A usage interval with who it is billed to, for reports. */
export interface UsageCostRow extends UsageRow {
  clusterName: string;
  ownerId: string;
  channelId: string;
}

/** A registered SSH public key. */
export interface KeyRow {
  /** `SHA256:<base64 without padding>`, as `ssh-keygen -lf` prints it. Unique. */
  fingerprint: string;
  /** Owner's user id. */
  userId: string;
  /** Key type, e.g. `ssh-ed25519`. */
  type: string;
  /** Key size in bits (256 for ed25519). */
  bits: number;
  /** Normalised `authorized_keys` line: `<type> <base64>[ <comment>]`. */
  publicKey: string;
  /** Comment, possibly empty. */
  comment: string;
  addedAtMs: number;
}

/** One audited command or button click. */
export interface NewAuditRow {
  atMs: number;
  userId: string;
  channelId: string;
  /** The command as typed, with secrets redacted. */
  text: string;
  /** `ok`, or the error code it ended with. */
  result: string;
}

export interface AuditRow extends NewAuditRow {
  id: number;
}

/** What a caller supplies to queue a job. */
export interface NewJobRow {
  clusterId: string;
  /** Channel of the cluster, where the job's messages go. */
  channelId: string;
  /** Who submitted it. */
  userId: string;
  /** The user's command (everything after `--`), verbatim. */
  command: string;
  /** MPI ranks (`-n`). */
  ranks: number;
  /** Ranks per node (`--ppn`); null for the machinefile's slots. */
  ranksPerNode: number | null;
  /** Cancel after this long running; null for no limit. */
  timeoutInMs: number | null;
  submittedAtMs: number;
}

/** A stored job. */
export interface JobRow extends NewJobRow {
  /** The `#N` users see. */
  id: number;
  state: JobState;
  startedAtMs: number | null;
  endedAtMs: number | null;
  /** Exit status of the job's shell; null until it ends (or when it never did). */
  exitCode: number | null;
  /** Process (group) id of the job on node 0; null until started. */
  pid: number | null;
  /** Folder of the job on the cluster's shared folder (log, exit status, pid). */
  remoteDir: string | null;
  /** Bytes of log the bot holds in its own copy (the resume offset). */
  logBytes: number;
  /** Bytes of log the job's chat thread has shown or announced as skipped (where it resumes). */
  chatBytes: number;
  /** The job's parent message (updated in place); null until posted. */
  messageChannelId: string | null;
  messageId: string | null;
  /** Why it ended the way it did, for users (e.g. "timed out after 10 min"). */
  note: string | null;
}

/** Fields of a job that change as it runs. */
export type JobPatch = Partial<
  Pick<
    JobRow,
    | 'state'
    | 'startedAtMs'
    | 'endedAtMs'
    | 'exitCode'
    | 'pid'
    | 'remoteDir'
    | 'logBytes'
    | 'chatBytes'
    | 'messageChannelId'
    | 'messageId'
    | 'note'
  >
>;
