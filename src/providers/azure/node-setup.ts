import { MpiboxError, isMpiboxError } from '../../domain/errors.ts';
import type { ClusterInfo } from '../../ports/cloud-provider.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Shell } from '../../ports/shell.ts';
import type { HostKeyPins } from './host-key-pins.ts';
import { SUBNET_CIDR } from './azure-names.ts';

/** The helper scripts cloud-init installs on every node (scripts/cloud-init/node.yaml). */
const SCRIPTS = {
  nfsServer: '/usr/local/sbin/mpibox-nfs-server',
  nfsClient: '/usr/local/sbin/mpibox-nfs-client',
  setKeys: '/usr/local/sbin/mpibox-set-keys',
  writeMachinefile: '/usr/local/sbin/mpibox-write-machinefile',
};

/** cloud-init exit codes: 0 done, 2 done with recoverable errors (degraded, still usable). */
const CLOUD_INIT_DONE =
  'cloud-init status --wait >/dev/null 2>&1; s=$?; [ "$s" -eq 0 ] || [ "$s" -eq 2 ] || { cloud-init status --long 2>&1 | tail -n 5; exit "$s"; }';

export interface NodeSetupDeps {
  shell: Shell;
  clock: Clock;
  pins: HostKeyPins;
  /** The bot's login on the nodes. */
  adminUsername: string;
}

/** A cluster as the provider read it back, with each node's VM id (for pinning). */
export interface DescribedCluster {
  info: ClusterInfo;
  vmIds: readonly string[];
}

/**
 * Waits until every node is running with a NAT port, pins each node's host key on first
 * contact, waits for cloud-init to finish on each (as the admin user), then makes node 0 the
 * NFS server of `~/shared`, mounts it on the others, and writes the machinefile on every node.
 * Idempotent: a retry (or a restart of the bot) runs the same steps again harmlessly.
 */
export async function setUpNodes(
  deps: NodeSetupDeps,
  clusterId: string,
  describe: () => Promise<DescribedCluster | null>,
  timeoutInMs: number,
  abortSignal?: AbortSignal,
): Promise<ClusterInfo> {
  const deadline = deps.clock.nowInMs() + timeoutInMs;
  const booted = new Set<string>();
  let lastProblem = 'no nodes yet';
  for (;;) {
    const described = await describe();
    if (!described) throw new MpiboxError('not-found', 'cluster does not exist', { clusterId });
    const { info, vmIds } = described;
    for (const [index, node] of info.nodes.entries()) {
      if (booted.has(vmIds[index] ?? '')) continue;
      if (node.state !== 'running' || node.port === 0) {
        lastProblem = `${node.name} is ${node.state}`;
        continue;
      }
      try {
        const endpoint = `${node.host}:${node.port}`;
        if (deps.pins.get(clusterId, endpoint, vmIds[index] ?? '') === null) {
          const key = await deps.shell.scanHostKey(node.host, node.port, 10_000);
          deps.pins.set(clusterId, endpoint, vmIds[index] ?? '', key);
        }
        await run(deps, node, CLOUD_INIT_DONE, abortSignal, 15 * 60_000);
        booted.add(vmIds[index] ?? '');
      } catch (error) {
        // cloud-init that ran and failed will not get better: say which node and why.
        if (isMpiboxError(error) && error.message === 'node setup failed') throw error;
        lastProblem = `${node.name}: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    if (info.nodes.length > 0 && info.nodes.every((_, index) => booted.has(vmIds[index] ?? ''))) {
      await configure(deps, info, abortSignal);
      return info;
    }
    if (deps.clock.nowInMs() >= deadline) {
      throw new MpiboxError('timeout', 'nodes did not become ready in time', { clusterId, lastProblem });
    }
    await deps.clock.sleep(5000, abortSignal);
  }
}

/** NFS from node 0 to the others, then the machinefile everywhere. */
async function configure(deps: NodeSetupDeps, info: ClusterInfo, abortSignal?: AbortSignal): Promise<void> {
  const [first, ...rest] = info.nodes;
  if (!first) return;
  await run(deps, first, `sudo ${SCRIPTS.nfsServer} ${SUBNET_CIDR}`, abortSignal);
  await Promise.all(
    rest.map((node) => run(deps, node, `sudo ${SCRIPTS.nfsClient} ${first.privateAddress}`, abortSignal)),
  );
  await Promise.all(
    info.nodes.map((node) =>
      run(deps, node, `sudo ${SCRIPTS.writeMachinefile}`, abortSignal, 60_000, info.machinefile),
    ),
  );
}

/** Replaces the team's keys on every node (the intra-cluster key stays). */
export async function pushKeys(
  deps: NodeSetupDeps,
  info: ClusterInfo,
  publicKeys: readonly string[],
  abortSignal?: AbortSignal,
): Promise<void> {
  const keys = publicKeys.map((key) => `${key}\n`).join('');
  await Promise.all(
    info.nodes.map((node) => run(deps, node, `sudo ${SCRIPTS.setKeys}`, abortSignal, 60_000, keys)),
  );
}

/** Runs one command as the admin user; a non-zero exit is an error naming the node. */
async function run(
  deps: NodeSetupDeps,
  node: ClusterInfo['nodes'][number],
  command: string,
  abortSignal: AbortSignal | undefined,
  timeoutInMs = 120_000,
  stdin?: string,
): Promise<void> {
  const result = await deps.shell.exec(
    { host: node.host, port: node.port, user: deps.adminUsername },
    command,
    {
      timeoutInMs,
      ...(stdin !== undefined ? { stdin } : {}),
      ...(abortSignal ? { abortSignal } : {}),
    },
  );
  if (result.exitCode !== 0) {
    throw new MpiboxError('provider', 'node setup failed', {
      node: node.name,
      providerCode: 'NodeSetupFailed',
      providerMessage: `\`${command.split(' ').slice(0, 2).join(' ')}\` exited with ${result.exitCode ?? 'a signal'}: ${(result.stdout + result.stderr).trim().slice(-300)}`,
    });
  }
}
