import path from 'node:path';

/**
 * Where a local cluster lives on disk: `<root>/<clusterId>/`, holding the state file, the
 * cluster's internal key, and one folder per node with its sshd config, host key and pid.
 * Users work in `work/`, which holds `shared/` and the `machinefile`.
 */
export function clusterLayout(root: string, clusterId: string) {
  const dir = path.join(root, clusterId);
  const work = path.join(dir, 'work');
  return {
    dir,
    stateFile: path.join(dir, 'cluster.json'),
    authorizedKeys: path.join(dir, 'authorized_keys'),
    /** Key the nodes use to reach each other (Open MPI's launcher), like a cloud cluster's internal key. */
    internalKey: path.join(dir, 'internal_ed25519'),
    sshConfig: path.join(dir, 'ssh_config'),
    nodeShell: path.join(dir, 'node-shell.sh'),
    work,
    shared: path.join(work, 'shared'),
    machinefile: path.join(work, 'machinefile'),
    node(name: string) {
      const nodeDir = path.join(dir, 'nodes', name);
      return {
        dir: nodeDir,
        sshdConfig: path.join(nodeDir, 'sshd_config'),
        hostKey: path.join(nodeDir, 'host_ed25519'),
        pidFile: path.join(nodeDir, 'sshd.pid'),
        log: path.join(nodeDir, 'sshd.log'),
        /** The node's own temp folder (TMPDIR): Open MPI's session directory lives there. */
        tmp: path.join(nodeDir, 'tmp'),
      };
    },
  };
}

export type ClusterLayout = ReturnType<typeof clusterLayout>;

/** What the local provider remembers about a cluster (its "cloud" state). */
export interface LocalClusterState {
  clusterId: string;
  name: string;
  size: string;
  slotsPerNode: number;
  nodes: { index: number; name: string; port: number }[];
}
