import type {
  ComputeManagementClient,
  VirtualMachineScaleSet,
  VirtualMachineScaleSetVM,
} from '@azure/arm-compute';
import type { NetworkManagementClient } from '@azure/arm-network';
import type { ResourceManagementClient } from '@azure/arm-resources';
import { machinefileText, nodeName } from '../../domain/cluster.ts';
import { MpiboxError } from '../../domain/errors.ts';
import type {
  ClusterActivity,
  ClusterInfo,
  CloudProvider,
  CreateClusterInput,
  NodeEndpoint,
  NodeResult,
  NodeSize,
  NodeStatus,
  ProviderCluster,
} from '../../ports/cloud-provider.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Logger } from '../../ports/logger.ts';
import type { Shell } from '../../ports/shell.ts';
import { ACTIVITY_PROBE_SCRIPT, parseProbe } from '../../domain/activity-probe.ts';
import { shellQuote } from '../../domain/job.ts';
import {
  loadBalancerBody,
  nsgBody,
  publicIpBody,
  scaleSetBody,
  vnetBody,
  type ClusterSpec,
} from './azure-bodies.ts';
import { isNotFound, toMpiboxError } from './azure-errors.ts';
import { CREATED_BY_TAG, azureIds, azureNames, clusterIdOfGroup, type AzureNames } from './azure-names.ts';
import type { HostKeyPins } from './host-key-pins.ts';
import { pushKeys, setUpNodes, type DescribedCluster, type NodeSetupDeps } from './node-setup.ts';
import { nodeStateOf } from './power-state.ts';
import { VM_SIZES, type VmSizeInfo } from './vm-sizes.ts';

/** The SDK clients, made by the composition root (credential, endpoint, retry policy). */
export interface AzureClients {
  resources: ResourceManagementClient;
  network: NetworkManagementClient;
  compute: ComputeManagementClient;
}

export interface AzureProviderOptions {
  clients: AzureClients;
  subscriptionId: string;
  location: string;
  /** Sizes `--size` may name; the first is the default. */
  vmSizes: readonly string[];
  image: ClusterSpec['image'];
  sshSources: readonly string[];
  adminUsername: string;
  jobUsername: string;
  botPublicKey: string;
  /** Highest node count of a cluster (the NAT port range covers it). */
  maxNodesPerCluster: number;
  spotMaxPricePerHour: number;
  /** The custom data (cloud-init, not yet base64) of a cluster's nodes. */
  customData: (input: { clusterId: string; authorizedKeys: readonly string[] }) => Promise<string>;
  /** Called once a cluster is gone, to drop what was kept for it (its intra-cluster key). */
  onTerminated?: (clusterId: string) => void;
  /** Options of every long-running operation's poller (tests poll fast). */
  pollOptions?: { updateIntervalInMs?: number };
  /** SSH to the nodes as the admin user (cloud-init, NFS, keys, machinefile). */
  shell: Shell;
  /** Host keys pinned on first contact. */
  pins: HostKeyPins;
  clock: Clock;
  logger: Logger;
}

/**
 * Clusters as Uniform VM Scale Sets, one resource group each (SkyPilot's provisioning verbs
 * on Azure). The group is the unit of cleanup: `terminate` deletes it with everything in it,
 * so nothing paid is left behind by a half-made cluster. The network pieces that do not
 * depend on each other are created at once; node endpoints are read back from Azure (the NAT
 * port mapping, the NICs), never computed.
 */
export class AzureProvider implements CloudProvider {
  readonly kind = 'azure' as const;
  readonly supportsSpot = true;
  /** The HPC image's Open MPI (HPC-X); ranks reach other nodes through the job user's ssh. */
  readonly launcher = ['mpirun'];
  readonly #options: AzureProviderOptions;

  constructor(options: AzureProviderOptions) {
    this.#options = options;
  }

  async sizes(): Promise<readonly NodeSize[]> {
    return this.#options.vmSizes.flatMap((name) => {
      const info = VM_SIZES[name];
      return info ? [{ name, slots: info.cores, description: info.description }] : [];
    });
  }

  async create(input: CreateClusterInput, abortSignal?: AbortSignal): Promise<NodeResult[]> {
    const { clients, location } = this.#options;
    const names = azureNames(input.clusterId);
    const ids = azureIds(this.#options.subscriptionId, names);
    const size = this.#size(input.size);
    // A create that a bot crash interrupted is finished, not started over: the scale set's own
    // operation is waited out (a second PUT would be refused while it runs), its nodes count as
    // already held against the quota, and the idempotent PUTs below complete the rest.
    const existing = await this.#settledScaleSet(names, abortSignal);
    const held = existing?.sku?.name === input.size ? (existing.sku.capacity ?? 0) : 0;
    await this.#checkQuota(size, input.size, Math.max(0, input.nodeCount - held), abortSignal);
    const spec: ClusterSpec = {
      location,
      tags: {
        [CREATED_BY_TAG.name]: CREATED_BY_TAG.value,
        'mpibox-cluster-id': input.clusterId,
        'mpibox-cluster': input.name,
        'mpibox-channel': input.labels.channelId,
        'mpibox-owner': input.labels.ownerId,
      },
      sshSources: this.#options.sshSources,
      maxNodes: this.#options.maxNodesPerCluster,
      vmSize: input.size,
      nodeCount: input.nodeCount,
      image: this.#options.image,
      adminUsername: this.#options.adminUsername,
      botPublicKey: this.#options.botPublicKey,
      customDataBase64: Buffer.from(
        await this.#options.customData({ clusterId: input.clusterId, authorizedKeys: input.authorizedKeys }),
      ).toString('base64'),
      computerNamePrefix: input.name.slice(0, 15),
      spot: input.spot ? { maxPricePerHour: this.#options.spotMaxPricePerHour } : null,
    };
    const poll = { ...this.#options.pollOptions, abortSignal };
    await this.#step('resource group', () =>
      clients.resources.resourceGroups.createOrUpdate(
        names.resourceGroup,
        { location, tags: spec.tags },
        { abortSignal },
      ),
    );
    // Independent of each other: created at once (three operations, one wait).
    await Promise.all([
      this.#step('virtual network', () =>
        clients.network.virtualNetworks.createOrUpdate(
          names.resourceGroup,
          names.vnet,
          vnetBody(spec, names),
          poll,
        ),
      ),
      this.#step('network security group', () =>
        clients.network.networkSecurityGroups.createOrUpdate(
          names.resourceGroup,
          names.nsg,
          nsgBody(spec),
          poll,
        ),
      ),
      this.#step('public IP', () =>
        clients.network.publicIPAddresses.createOrUpdate(
          names.resourceGroup,
          names.publicIp,
          publicIpBody(spec),
          poll,
        ),
      ),
    ]);
    await this.#step('load balancer', () =>
      clients.network.loadBalancers.createOrUpdate(
        names.resourceGroup,
        names.loadBalancer,
        loadBalancerBody(spec, names, ids),
        poll,
      ),
    );
    await this.#step('scale set', () =>
      clients.compute.virtualMachineScaleSets.createOrUpdate(
        names.resourceGroup,
        names.scaleSet,
        scaleSetBody(spec, names, ids),
        poll,
      ),
    );
    return this.#results(names, input.name, abortSignal);
  }

  async query(clusterId: string, abortSignal?: AbortSignal): Promise<NodeStatus[]> {
    const names = azureNames(clusterId);
    const clusterName = await this.#clusterName(names, abortSignal);
    if (clusterName === null) return [];
    const vms = await this.#vms(names, abortSignal);
    return vms.map((vm, index) => ({ index, name: nodeName(clusterName, index), state: nodeStateOf(vm) }));
  }

  async waitReady(clusterId: string, timeoutInMs: number, abortSignal?: AbortSignal): Promise<ClusterInfo> {
    return setUpNodes(
      this.#setupDeps(),
      clusterId,
      () => this.#describe(clusterId, abortSignal),
      timeoutInMs,
      abortSignal,
    );
  }

  async resize(clusterId: string, nodeCount: number, abortSignal?: AbortSignal): Promise<NodeResult[]> {
    const { clients } = this.#options;
    const names = azureNames(clusterId);
    const clusterName = await this.#requireClusterName(names, abortSignal);
    const vms = await this.#vms(names, abortSignal);
    const poll = { ...this.#options.pollOptions, abortSignal };
    if (nodeCount < vms.length) {
      // The highest instance ids go: node 0 (the NFS server) and the low nodes stay.
      const doomed = vms.slice(nodeCount).map((vm) => vm.instanceId ?? '');
      await this.#step('scale-in', () =>
        clients.compute.virtualMachineScaleSets.deleteInstances(
          names.resourceGroup,
          names.scaleSet,
          { instanceIds: doomed },
          { ...poll, forceDeletion: false },
        ),
      );
    } else if (nodeCount > vms.length) {
      await this.#step('scale-out', () =>
        clients.compute.virtualMachineScaleSets.update(
          names.resourceGroup,
          names.scaleSet,
          { sku: { capacity: nodeCount } },
          poll,
        ),
      );
    }
    return this.#results(names, clusterName, abortSignal);
  }

  async deallocate(clusterId: string, abortSignal?: AbortSignal): Promise<void> {
    const names = azureNames(clusterId);
    await this.#requireClusterName(names, abortSignal);
    await this.#step('deallocate', () =>
      this.#options.clients.compute.virtualMachineScaleSets.deallocate(names.resourceGroup, names.scaleSet, {
        ...this.#options.pollOptions,
        abortSignal,
      }),
    );
  }

  async start(clusterId: string, abortSignal?: AbortSignal): Promise<NodeResult[]> {
    const names = azureNames(clusterId);
    const clusterName = await this.#requireClusterName(names, abortSignal);
    await this.#step('start', () =>
      this.#options.clients.compute.virtualMachineScaleSets.start(names.resourceGroup, names.scaleSet, {
        ...this.#options.pollOptions,
        abortSignal,
      }),
    );
    return this.#results(names, clusterName, abortSignal);
  }

  async terminate(clusterId: string, abortSignal?: AbortSignal): Promise<void> {
    const names = azureNames(clusterId);
    try {
      // Force-deleting the VMs and the scale set skips their graceful shutdown: `down` means gone.
      await this.#options.clients.resources.resourceGroups.delete(names.resourceGroup, {
        ...this.#options.pollOptions,
        abortSignal,
        forceDeletionTypes: 'Microsoft.Compute/virtualMachines,Microsoft.Compute/virtualMachineScaleSets',
      });
    } catch (error) {
      if (!isNotFound(error)) throw toMpiboxError(error, 'delete resource group');
      // already gone: still forget what was kept for it
    }
    this.#options.pins.forget(clusterId);
    this.#options.onTerminated?.(clusterId);
    this.#options.logger.info('azure cluster terminated', { clusterId, resourceGroup: names.resourceGroup });
  }

  /**
   * The resource groups tagged `created-by=mpibox` (one ARM list, filtered by Azure), each with
   * its scale set's size, capacity and creation time. The group's own creation time is not in
   * the ARM model, so the scale set's stands in; a group without a scale set has no nodes.
   * The cluster id is read from the group's name: that is the group `terminate` deletes.
   */
  async listClusters(abortSignal?: AbortSignal): Promise<ProviderCluster[]> {
    const { clients } = this.#options;
    const groups = await this.#step('resource groups', () =>
      collect(
        clients.resources.resourceGroups.list({
          filter: `tagName eq '${CREATED_BY_TAG.name}' and tagValue eq '${CREATED_BY_TAG.value}'`,
          abortSignal,
        }),
      ),
    );
    const ours = groups.flatMap((group) => {
      const clusterId = clusterIdOfGroup(group.name ?? '');
      return clusterId === null ? [] : [{ clusterId, group: group.name ?? '', tags: group.tags ?? {} }];
    });
    return mapLimited(ours, PORT_QUERIES_AT_ONCE, async ({ clusterId, group, tags }) => {
      const scaleSet = await this.#step('scale set', async () => {
        try {
          return await clients.compute.virtualMachineScaleSets.get(group, azureNames(clusterId).scaleSet, {
            abortSignal,
          });
        } catch (error) {
          if (isNotFound(error)) return null;
          throw error;
        }
      });
      const channelId = tags['mpibox-channel'];
      const ownerId = tags['mpibox-owner'];
      return {
        clusterId,
        name: tags['mpibox-cluster'] ?? null,
        resourceName: group,
        createdAtMs: scaleSet?.timeCreated?.getTime() ?? null,
        nodeCount: scaleSet?.sku?.capacity ?? 0,
        size: scaleSet?.sku?.name ?? null,
        labels: channelId && ownerId ? { channelId, ownerId } : null,
      };
    });
  }

  async info(clusterId: string, abortSignal?: AbortSignal): Promise<ClusterInfo | null> {
    return (await this.#describe(clusterId, abortSignal))?.info ?? null;
  }

  /**
   * The probe on every running node, side by side, as the admin user through sudo: the job
   * user's processes (environments included) are only readable by root.
   */
  async activity(
    clusterId: string,
    jobIds: readonly number[],
    abortSignal?: AbortSignal,
  ): Promise<ClusterActivity> {
    const info = await this.info(clusterId, abortSignal);
    const running = info?.nodes.filter((node) => node.state === 'running') ?? [];
    const command = ['sudo', '-n', 'perl', '-e', ACTIVITY_PROBE_SCRIPT, '--', '', ...jobIds.map(String)]
      .map(shellQuote)
      .join(' ');
    const outputs = await Promise.all(
      running.map(async (node) => {
        const target = { host: node.host, port: node.port, user: this.#options.adminUsername };
        const result = await this.#options.shell.exec(target, command, {
          timeoutInMs: 30_000,
          ...(abortSignal ? { abortSignal } : {}),
        });
        return parseProbe(result.stdout, node.name);
      }),
    );
    const jobCpuTicks = new Map<number, number>();
    for (const output of outputs)
      for (const [jobId, ticks] of output.jobCpuTicks)
        jobCpuTicks.set(jobId, (jobCpuTicks.get(jobId) ?? 0) + ticks);
    return { sessions: outputs.flatMap((output) => output.sessions), jobCpuTicks };
  }

  /** The cluster read back from Azure, with each node's VM id. */
  async #describe(clusterId: string, abortSignal?: AbortSignal): Promise<DescribedCluster | null> {
    const { clients, jobUsername } = this.#options;
    const names = azureNames(clusterId);
    const found = await this.#cluster(names, abortSignal);
    if (found === null) return null;
    const { name: clusterName, scaleSet } = found;
    const [vms, publicIp, nics] = await Promise.all([
      this.#vms(names, abortSignal),
      this.#step('public IP', () =>
        clients.network.publicIPAddresses.get(names.resourceGroup, names.publicIp, { abortSignal }),
      ),
      this.#step('network interfaces', () =>
        collect(
          clients.network.networkInterfaces.listVirtualMachineScaleSetNetworkInterfaces(
            names.resourceGroup,
            names.scaleSet,
            { abortSignal },
          ),
        ),
      ),
    ]);
    const slots = VM_SIZES[scaleSet.sku?.name ?? '']?.cores ?? 1;
    // One backend address per query, as Azure answers it: ports are read back, never computed.
    // The queries are independent, so they run side by side (a few at a time).
    const nodes: NodeEndpoint[] = await mapLimited(vms, PORT_QUERIES_AT_ONCE, async (vm, index) => {
      const nic = nics.find(
        (candidate) => candidate.virtualMachine?.id?.toLowerCase() === vm.id?.toLowerCase(),
      );
      const ipConfiguration = nic?.ipConfigurations?.[0];
      const mapping = ipConfiguration?.id
        ? await this.#step('NAT port mapping', () =>
            clients.network.loadBalancers.listInboundNatRulePortMappings(
              names.resourceGroup,
              names.loadBalancer,
              names.backendPool,
              { ipConfiguration: { id: ipConfiguration.id } },
              { ...this.#options.pollOptions, abortSignal },
            ),
          )
        : null;
      const port = mapping?.inboundNatRulePortMappings?.find(
        (entry) => entry.backendPort === 22,
      )?.frontendPort;
      return {
        index,
        name: nodeName(clusterName, index),
        host: publicIp.ipAddress ?? '',
        port: port ?? 0,
        privateAddress: ipConfiguration?.privateIPAddress ?? '',
        slots,
        state: nodeStateOf(vm),
      };
    });
    const home = `/home/${jobUsername}`;
    const info: ClusterInfo = {
      clusterId,
      user: jobUsername,
      botUser: this.#options.adminUsername,
      jobsRunAs: jobUsername,
      nodes,
      machinefilePath: `${home}/machinefile`,
      machinefile: machinefileText(nodes.map((node) => ({ name: node.privateAddress, slots: node.slots }))),
      workDir: home,
      sharedDir: `${home}/shared`,
    };
    return { info, vmIds: vms.map((vm) => vm.vmId ?? vm.id ?? '') };
  }

  async authorizeKeys(
    clusterId: string,
    publicKeys: readonly string[],
    abortSignal?: AbortSignal,
  ): Promise<void> {
    const info = await this.info(clusterId, abortSignal);
    if (!info) return; // gone: nothing to push to
    await pushKeys(this.#setupDeps(), info, publicKeys, abortSignal);
  }

  async recover(): Promise<void> {
    // Azure keeps its VMs whatever the bot does; a deallocated or evicted cluster is for
    // `start` (or the reconciler), not for a restart of the bot.
  }

  knownHostKeys(host: string, port: number): readonly string[] | null {
    return this.#options.pins.lookup(host, port);
  }

  #setupDeps(): NodeSetupDeps {
    const { shell, clock, pins, adminUsername } = this.#options;
    return { shell, clock, pins, adminUsername };
  }

  /** Node results in node order; a VM whose provisioning failed carries Azure's reason. */
  async #results(names: AzureNames, clusterName: string, abortSignal?: AbortSignal): Promise<NodeResult[]> {
    const vms = await this.#vms(names, abortSignal);
    return vms.map((vm, index) => {
      const failed = vm.provisioningState === 'Failed';
      const status = vm.instanceView?.statuses?.find((entry) => entry.level === 'Error');
      return {
        index,
        name: nodeName(clusterName, index),
        state: failed ? 'terminated' : nodeStateOf(vm),
        failure: failed
          ? {
              code: status?.code?.replace(/^ProvisioningState\/failed\//, '') ?? 'ProvisioningFailed',
              message: status?.message ?? 'the VM failed to provision',
            }
          : null,
      };
    });
  }

  /** The scale set's VMs, lowest instance id first (node 0 = the lowest). */
  async #vms(names: AzureNames, abortSignal?: AbortSignal): Promise<VirtualMachineScaleSetVM[]> {
    const vms = await this.#step('scale set VMs', () =>
      collect(
        this.#options.clients.compute.virtualMachineScaleSetVMs.list(names.resourceGroup, names.scaleSet, {
          expand: 'instanceView',
          abortSignal,
        }),
      ),
    );
    return vms.sort((a, b) => Number(a.instanceId ?? 0) - Number(b.instanceId ?? 0));
  }

  /** The cluster's name from its group's tags; null when the group (or its scale set) is gone. */
  async #clusterName(names: AzureNames, abortSignal?: AbortSignal): Promise<string | null> {
    return (await this.#cluster(names, abortSignal))?.name ?? null;
  }

  /** The cluster's name and scale set; null when the group (or its scale set) is gone. */
  async #cluster(
    names: AzureNames,
    abortSignal?: AbortSignal,
  ): Promise<{ name: string; scaleSet: VirtualMachineScaleSet } | null> {
    try {
      const group = await this.#options.clients.resources.resourceGroups.get(names.resourceGroup, {
        abortSignal,
      });
      const name = group.tags?.['mpibox-cluster'];
      if (!name) return null;
      const scaleSet = await this.#options.clients.compute.virtualMachineScaleSets.get(
        names.resourceGroup,
        names.scaleSet,
        { abortSignal },
      );
      return { name, scaleSet };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw toMpiboxError(error, 'resource group');
    }
  }

  async #requireClusterName(names: AzureNames, abortSignal?: AbortSignal): Promise<string> {
    const name = await this.#clusterName(names, abortSignal);
    if (name === null)
      throw new MpiboxError('not-found', 'cluster does not exist', { resourceGroup: names.resourceGroup });
    return name;
  }

  /**
   * The cluster's scale set once no operation runs on it (polled every few seconds while one
   * does, e.g. after a restart mid-create); null when there is none yet.
   */
  async #settledScaleSet(
    names: AzureNames,
    abortSignal?: AbortSignal,
  ): Promise<VirtualMachineScaleSet | null> {
    for (;;) {
      let scaleSet: VirtualMachineScaleSet;
      try {
        scaleSet = await this.#options.clients.compute.virtualMachineScaleSets.get(
          names.resourceGroup,
          names.scaleSet,
          {
            abortSignal,
          },
        );
      } catch (error) {
        if (isNotFound(error)) return null;
        throw toMpiboxError(error, 'scale set');
      }
      if (scaleSet.provisioningState !== 'Creating' && scaleSet.provisioningState !== 'Updating')
        return scaleSet;
      this.#options.logger.info('waiting for a scale set operation in progress', {
        resourceGroup: names.resourceGroup,
        state: scaleSet.provisioningState,
      });
      await this.#options.clock.sleep(this.#options.pollOptions?.updateIntervalInMs ?? 5000, abortSignal);
    }
  }

  /** Refuses before anything is made when the family's free vCPUs cannot hold the cluster. */
  async #checkQuota(
    size: VmSizeInfo,
    sizeName: string,
    nodeCount: number,
    abortSignal?: AbortSignal,
  ): Promise<void> {
    const usages = await this.#step('quota', () =>
      collect(this.#options.clients.compute.usage.list(this.#options.location, { abortSignal })),
    );
    const needed = size.vCpus * nodeCount;
    if (needed === 0) return;
    for (const family of [size.family, 'cores']) {
      const usage = usages.find((entry) => entry.name.value === family);
      if (!usage) continue;
      const free = usage.limit - usage.currentValue;
      if (free < needed) {
        throw new MpiboxError('provider', 'quota', {
          providerCode: 'QuotaExceeded',
          providerMessage: `${nodeCount} × ${sizeName} needs ${needed} vCPUs of ${usage.name.localizedValue ?? family} in ${this.#options.location}; ${free} of ${usage.limit} are free. Ask for more quota in the Azure portal, or use fewer nodes`,
        });
      }
    }
  }

  #size(name: string): VmSizeInfo {
    const info = this.#options.vmSizes.includes(name) ? VM_SIZES[name] : undefined;
    if (!info)
      throw new MpiboxError('bad-input', 'unknown size', {
        size: name,
        sizes: this.#options.vmSizes.join(', '),
      });
    return info;
  }

  /** Runs one ARM call, turning Azure's refusal into our coded error named after the step. */
  async #step<T>(step: string, call: () => PromiseLike<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw toMpiboxError(error, step);
    }
  }
}

/** Every item of a paged ARM list. */
async function collect<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of pages) items.push(item);
  return items;
}

/** Port-mapping queries in flight at once (each is a small long-running operation). */
const PORT_QUERIES_AT_ONCE = 8;

/** `work` over `items`, at most `limit` at a time, results in the items' order. */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < items.length; index = next++)
      results[index] = await work(items[index] as T, index);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
