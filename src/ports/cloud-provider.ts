import type { NodeState, ProviderKind } from '../domain/cluster.ts';

/**
 * Provisioning verbs shared by every provider (SkyPilot's `sky/provision` table). Every verb
 * is idempotent and keyed by `clusterId`: calling `create` twice makes one cluster, and
 * `terminate` of a cluster that is already gone succeeds. A verb a provider cannot do throws
 * MpiboxError('unsupported'); a cloud's refusal throws MpiboxError('provider') whose fields
 * carry `providerCode` (the cloud's own error code) and `providerMessage`, which the user sees.
 * Every async verb takes an optional AbortSignal.
 */
export interface CloudProvider {
  /** Which provider this is (stored with each cluster). */
  readonly kind: ProviderKind;
  /** Whether `create` accepts `spot: true`. */
  readonly supportsSpot: boolean;
  /** mpiexec and its fixed arguments on this provider's nodes, one word each. */
  readonly launcher: readonly string[];
  /** Node sizes offered, the first being the default (a cloud may look them up). */
  sizes(abortSignal?: AbortSignal): Promise<readonly NodeSize[]>;
  /**
   * Creates the cluster's nodes and returns once every node is allocated (or has failed): one
   * result per node. Does not wait for SSH (see `waitReady`). A cluster of which some nodes
   * failed is left as it is, for the caller to decide (retry, shrink, or terminate).
   */
  create(input: CreateClusterInput, abortSignal?: AbortSignal): Promise<NodeResult[]>;
  /** Current state of each node; empty when the cluster does not exist. */
  query(clusterId: string, abortSignal?: AbortSignal): Promise<NodeStatus[]>;
  /** Resolves with connection info once every node answers SSH; throws timeout after `timeoutInMs`. */
  waitReady(clusterId: string, timeoutInMs: number, abortSignal?: AbortSignal): Promise<ClusterInfo>;
  /**
   * Grows or shrinks to `nodeCount` nodes (the highest indexes go first; node 0 is kept) and
   * returns one result per node of the new size.
   */
  resize(clusterId: string, nodeCount: number, abortSignal?: AbortSignal): Promise<NodeResult[]>;
  /**
   * Stops every node so that compute billing stops, keeping disks and addresses (on Azure:
   * deallocate — a VM that is only stopped still bills). Nodes are then `deallocated`.
   */
  deallocate(clusterId: string, abortSignal?: AbortSignal): Promise<void>;
  /** Starts the nodes of a deallocated cluster again; resolves once they are allocated. */
  start(clusterId: string, abortSignal?: AbortSignal): Promise<NodeResult[]>;
  /** Deletes every node and everything running on it. Succeeds when already gone. */
  terminate(clusterId: string, abortSignal?: AbortSignal): Promise<void>;
  /**
   * Every cluster mpibox made that this provider still holds, whether or not the store knows
   * it (on Azure: the resource groups tagged `created-by=mpibox`; locally: the cluster folders).
   * Read-only; one entry per cluster, in no particular order; empty when there are none. The
   * reconciler compares it with the store to find orphans and lost clusters.
   */
  listClusters(abortSignal?: AbortSignal): Promise<ProviderCluster[]>;
  /**
   * What runs on the nodes now, for the idle reaper: users' interactive (terminal) sessions —
   * the bot never opens a terminal, so its own connections do not count — and the CPU time so
   * far of each job in `jobIds`. Read-only; empty for a cluster that does not exist or whose
   * nodes are down. Rejects with MpiboxError('provider') when a running node cannot be asked.
   */
  activity(clusterId: string, jobIds: readonly number[], abortSignal?: AbortSignal): Promise<ClusterActivity>;
  /** Connection info of a cluster; null when it does not exist. */
  info(clusterId: string, abortSignal?: AbortSignal): Promise<ClusterInfo | null>;
  /** Replaces the user keys allowed to log in (the bot's own key always stays). */
  authorizeKeys(clusterId: string, publicKeys: readonly string[], abortSignal?: AbortSignal): Promise<void>;
  /**
   * Called once at bot start for each cluster the store believes is live: brings nodes that
   * should be up back up (a local node whose process died, say). No-op when all is well.
   */
  recover(clusterId: string, abortSignal?: AbortSignal): Promise<void>;
  /**
   * The host keys (authorized_keys-style lines) the node at `host:port` must present to the
   * bot; null when the address is none of this provider's nodes (the bot then refuses it).
   * Synchronous: it runs inside every SSH handshake.
   */
  knownHostKeys(host: string, port: number): readonly string[] | null;
}

/** Output of `activity`. */
export interface ClusterActivity {
  /** One per terminal with a user's processes on it. */
  sessions: { user: string; node: string | null; terminal: string }[];
  /** CPU time of each asked-for job's processes on every node, in clock ticks; absent when none run. */
  jobCpuTicks: Map<number, number>;
}

/** A node size (SKU) a provider offers. */
export interface NodeSize {
  /** Name users type after `--size`. */
  name: string;
  /** MPI slots per node (usually physical cores). */
  slots: number;
  /** One-line description for help and errors. */
  description: string;
}

/** Input of `create`. */
export interface CreateClusterInput {
  /** Stable id chosen by mpibox; the provider's handle for every later verb. */
  clusterId: string;
  /** User-facing name; node names are `<name>-<index>`. */
  name: string;
  /** Number of nodes, ≥ 1. */
  nodeCount: number;
  /** Size name from `sizes()`. */
  size: string;
  /** Spot (evictable) capacity. */
  spot: boolean;
  /** User public keys (authorized_keys lines) allowed to log in besides the bot's. */
  authorizedKeys: readonly string[];
  /** Who asked, for the cloud's tags (owner and channel ids). */
  labels: { channelId: string; ownerId: string };
}

/** Output of `create`, `resize` and `start`: what became of one node. */
export interface NodeResult {
  /** 0-based index; node 0 is the seed. */
  index: number;
  /** `<cluster>-<index>`. */
  name: string;
  /** `running` once allocated; `terminated` (with `failure`) when it could not be made. */
  state: NodeState;
  /** Why the node failed, as the cloud said it; null when it did not. */
  failure: ProviderFailure | null;
}

/** A cloud's refusal, in its own words (shown to users as such). */
export interface ProviderFailure {
  /** The cloud's error code, e.g. `QuotaExceeded`, `SkuNotAvailable`. */
  code: string;
  /** The cloud's message. */
  message: string;
}

/** Output of `query`: one node as the provider sees it. */
export interface NodeStatus {
  /** 0-based index; node 0 is the seed. */
  index: number;
  /** `<cluster>-<index>`. */
  name: string;
  /** Provider state mapped onto mpibox's union. */
  state: NodeState;
}

/** Output of `listClusters`: one cluster as the provider holds it. */
export interface ProviderCluster {
  /** The id mpibox chose at `create` (the handle of every verb). */
  clusterId: string;
  /** User-facing name as the provider recorded it (Azure: the group's tag); null when not recorded. */
  name: string | null;
  /** The provider's own name for it, for a person to find it: the Azure resource group, the local folder. */
  resourceName: string;
  /** When its nodes were made, epoch ms UTC (Azure: the scale set's `timeCreated`); null when unknown. */
  createdAtMs: number | null;
  /** Nodes it holds now, in any state (0 when only network pieces are left). */
  nodeCount: number;
  /** Size name of its nodes; null when it has no nodes to tell. */
  size: string | null;
  /** Channel and owner it was made for, when the provider recorded them (Azure tags). */
  labels: { channelId: string; ownerId: string } | null;
}

/** Output of `waitReady` and `info`: how to reach a cluster. */
export interface ClusterInfo {
  clusterId: string;
  /** Login user on every node (the team's; on Azure the job user). */
  user: string;
  /** The login the bot uses for jobs and setup (locally `user`; on Azure the admin user). */
  botUser: string;
  /** Jobs run as this user through sudo from `botUser`; null when `botUser` runs them itself. */
  jobsRunAs: string | null;
  /** Nodes ordered by index. */
  nodes: NodeEndpoint[];
  /** Absolute path of the machinefile as seen on the nodes. */
  machinefilePath: string;
  /** Contents of the machinefile (`<private address> slots=<n>` per line). */
  machinefile: string;
  /** Directory commands start in on every node. */
  workDir: string;
  /** The shared folder every node sees. */
  sharedDir: string;
}

/** One node: where users and the bot reach it, and where the other nodes do. */
export interface NodeEndpoint {
  index: number;
  name: string;
  /** Public host for SSH (a public IP on a cloud, 127.0.0.1 locally). */
  host: string;
  /** SSH port on `host` (a load balancer NAT port on a cloud: one per node). */
  port: number;
  /** Address the other nodes reach this one at: the machinefile's entry (a private IP; locally the node's ssh alias). */
  privateAddress: string;
  /** MPI slots this node offers. */
  slots: number;
  state: NodeState;
}
