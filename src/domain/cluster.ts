/** Cluster and node vocabulary shared by services, store and providers. No I/O here. */

/** Where a cluster runs. */
export type ProviderKind = 'local' | 'azure';

/** Lifecycle of a cluster as mpibox records it. */
export type ClusterState =
  | 'creating' // accepted; nodes being created or waited for
  | 'ready' // every node answers SSH
  | 'resizing' // node count changing
  | 'stopping' // being deallocated (by the reaper, or a user): compute billing is ending
  | 'stopped' // deallocated: disks kept, compute not billed; `up` of its name starts it again
  | 'starting' // a stopped cluster being started again
  | 'deleting' // terminate requested, not yet confirmed
  | 'deleted' // gone; kept for the audit trail and cost history
  | 'failed'; // creation failed; nothing billable should remain

/** Lifecycle of one node as a provider reports it (each cloud's states map onto this). */
export type NodeState =
  | 'pending' // being allocated or booting
  | 'running' // allocated and on (billing)
  | 'stopped' // off but still allocated: a cloud still bills it (an Azure VM stopped from inside)
  | 'deallocated' // off and released: disks kept, compute not billed
  | 'terminated' // gone (or never made)
  | 'unknown';

/** Names: a lowercase letter, then 1–30 lowercase letters, digits or dashes. */
export const CLUSTER_NAME_PATTERN = /^[a-z][a-z0-9-]{1,30}$/;

/** Node names are `<cluster>-<index>`, index from 0; node 0 is the seed (runs mpiexec). */
export function nodeName(clusterName: string, index: number): string {
  return `${clusterName}-${index}`;
}

/** True when a cluster in this state still holds (or may hold) resources. */
export function isLive(state: ClusterState): boolean {
  return state !== 'deleted' && state !== 'failed';
}

/** One line of an Open MPI machinefile per node: `<host> slots=<n>`. */
export function machinefileText(nodes: readonly { name: string; slots: number }[]): string {
  return nodes.map((node) => `${node.name} slots=${node.slots}\n`).join('');
}
