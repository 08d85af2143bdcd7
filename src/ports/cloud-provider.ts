import type { NodeState, ProviderKind } from '../domain/cluster.ts';

/**
 * Provisioning verbs shared by every provider (SkyPilot's `sky/provision` table). Every verb
 * is idempotent and keyed by `clusterId`: calling `create` twice makes one cluster, and
 * `terminate` of a cluster that is already gone succeeds. A verb a provider cannot do throws
 * MpiboxError('unsupported'). Every async verb takes an optional AbortSignal.
 */
export interface CloudProvider {
  /** Which provider this is (stored with each cluster). */
  readonly kind: ProviderKind;
  /** Whether `create` accepts `spot: true`. */
  readonly supportsSpot: boolean;
  /** Node sizes offered, the first being the default. */
  sizes(): readonly NodeSize[];
  /** Starts creating the cluster's nodes; returns once they are requested, not yet ready. */
  create(input: CreateClusterInput, abortSignal?: AbortSignal): Promise<void>;
  /** Current state of each node; empty when the cluster does not exist. */
  query(clusterId: string, abortSignal?: AbortSignal): Promise<NodeStatus[]>;
  /** Resolves with connection info once every node answers SSH; throws timeout after `timeoutInMs`. */
  waitReady(clusterId: string, timeoutInMs: number, abortSignal?: AbortSignal): Promise<ClusterInfo>;
  /** Grows or shrinks to `nodeCount` nodes (highest indexes go first); node 0 is kept. */
  resize(clusterId: string, nodeCount: number, abortSignal?: AbortSignal): Promise<void>;
  /** Stops every node without deleting it (on Azure: deallocate, so compute billing stops). */
  stop(clusterId: string, abortSignal?: AbortSignal): Promise<void>;
  /** Deletes every node and everything running on it. Succeeds when already gone. */
  terminate(clusterId: string, abortSignal?: AbortSignal): Promise<void>;
  /** Connection info of a cluster; null when it does not exist. */
  info(clusterId: string, abortSignal?: AbortSignal): Promise<ClusterInfo | null>;
  /** Replaces the user keys allowed to log in (the bot's own key always stays). */
  authorizeKeys(clusterId: string, publicKeys: readonly string[], abortSignal?: AbortSignal): Promise<void>;
  /**
   * Called once at bot start for each cluster the store believes is live: brings nodes that
   * should be up back up (a local node whose process died, say). No-op when all is well.
   */
  recover(clusterId: string, abortSignal?: AbortSignal): Promise<void>;
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

/** Output of `waitReady` and `info`: how to reach a cluster. */
export interface ClusterInfo {
  clusterId: string;
  /** Login user on every node. */
  user: string;
  /** Nodes ordered by index. */
  nodes: NodeEndpoint[];
  /** Absolute path of the machinefile as seen on the nodes. */
  machinefilePath: string;
  /** Contents of the machinefile (`<node> slots=<n>` per line). */
  machinefile: string;
  /** Directory commands start in on every node. */
  workDir: string;
  /** The shared folder every node sees. */
  sharedDir: string;
}

/** One node's SSH endpoint. */
export interface NodeEndpoint {
  index: number;
  name: string;
  /** Host to connect to. */
  host: string;
  /** SSH port on `host`. */
  port: number;
  /** MPI slots this node offers. */
  slots: number;
  state: NodeState;
}
