import type { ClusterLayout, LocalClusterState } from './layout.ts';
import type { NodeIsolation } from './node-isolation.ts';

/**
 * Text of the files that make a folder of sshd processes behave like a cluster. Pure
 * functions of the state; the provider writes them.
 */

/** The login user's name, and whether the bot runs as root (Open MPI refuses root unless told). */
export interface LocalUser {
  name: string;
  isRoot: boolean;
}

/** sshd_config of one node: its port, its identity, and the environment of what it runs. */
export function sshdConfigText(
  layout: ClusterLayout,
  state: LocalClusterState,
  node: { name: string; port: number },
  user: LocalUser,
  sftpServer: string | null,
  isolation: NodeIsolation,
): string {
  const files = layout.node(node.name);
  const env: [string, string][] = [
    ['MPIBOX_NODE', node.name],
    ['MPIBOX_CLUSTER', state.name],
    ['MPIBOX_CLUSTER_ID', state.clusterId],
    ['MPIBOX_WORKDIR', layout.work],
    ['MPIBOX_MACHINEFILE', layout.machinefile],
    // Each node has its own temp folder, like its own machine. Not an OMPI_MCA_ setting:
    // mpiexec forwards those to every node's daemon, so all would get node 0's folder.
    ['TMPDIR', files.tmp],
    // Open MPI starts remote daemons with this agent: one Host alias per node, see ssh_config.
    ['OMPI_MCA_plm_rsh_agent', `ssh -F ${layout.sshConfig}`],
    // Every "node" is on this machine: daemons and ranks talk over loopback, which Open MPI
    // excludes by default.
    ['OMPI_MCA_oob_tcp_if_include', 'lo'],
    ['OMPI_MCA_btl_tcp_if_include', 'lo'],
    // Shared memory inside a node, TCP between nodes — unless nodes cannot have host names of
    // their own here: Open MPI names its shared-memory segments after the host, so ranks of
    // two nodes would map each other's (see node-isolation.ts). Then ranks use TCP only.
    ['OMPI_MCA_btl', isolation === 'none' ? 'self,tcp' : 'self,vader,tcp'],
    // Every local node shares this machine's cores (with each other and the bot), so ranks are
    // usually more than cores: ranks waiting for a message yield the CPU instead of spinning,
    // or a ping-pong between two ranks can take a scheduler tick per message.
    ['OMPI_MCA_mpi_yield_when_idle', '1'],
    // PMIx's shared-memory store trips over many jobs of one user on one machine
    // ("PMIX ERROR: NO-PERMISSIONS … dstore_base.c"); the hash store has no such files.
    ['PMIX_MCA_gds', 'hash'],
  ];
  if (user.isRoot) {
    env.push(['OMPI_ALLOW_RUN_AS_ROOT', '1'], ['OMPI_ALLOW_RUN_AS_ROOT_CONFIRM', '1']);
  }
  const lines = [
    `# mpibox local node ${node.name} of cluster ${state.name} (${state.clusterId}); generated, do not edit`,
    `Port ${node.port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${files.hostKey}`,
    `PidFile ${files.pidFile}`,
    `AuthorizedKeysFile ${layout.authorizedKeys}`,
    `AllowUsers ${user.name}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'UsePAM no',
    // The key files live in the bot's data folder, which may be group-writable.
    'StrictModes no',
    'PrintMotd no',
    'PrintLastLog no',
    'X11Forwarding no',
    'PermitUserEnvironment no',
    'MaxStartups 100:30:200',
    'LogLevel ERROR',
    `SetEnv ${env.map(([key, value]) => `${key}="${value}"`).join(' ')}`,
    `ForceCommand ${layout.nodeShell}`,
  ];
  if (sftpServer) lines.push(`Subsystem sftp ${sftpServer}`);
  return `${lines.join('\n')}\n`;
}

/** ssh_config with one Host alias per node, used by Open MPI on node 0 and by users. */
export function sshClientConfigText(
  layout: ClusterLayout,
  state: LocalClusterState,
  user: LocalUser,
): string {
  const hosts = state.nodes.map((node) => `Host ${node.name}\n  HostName 127.0.0.1\n  Port ${node.port}\n`);
  const common = [
    'Host *',
    `  User ${user.name}`,
    `  IdentityFile ${layout.internalKey}`,
    '  IdentitiesOnly yes',
    '  BatchMode yes',
    '  StrictHostKeyChecking no',
    '  UserKnownHostsFile /dev/null',
    '  LogLevel ERROR',
  ];
  return `${hosts.join('')}${common.join('\n')}\n`;
}

/**
 * The ForceCommand of every node: start in the cluster's work folder, then run what the
 * client asked for (a command, the sftp subsystem) or an interactive login shell.
 */
export function nodeShellText(layout: ClusterLayout): string {
  return [
    '#!/bin/sh',
    `cd '${layout.work}' || exit 1`,
    'if [ -n "$SSH_ORIGINAL_COMMAND" ]; then exec /bin/bash -c "$SSH_ORIGINAL_COMMAND"; fi',
    'exec /bin/bash -l',
    '',
  ].join('\n');
}
