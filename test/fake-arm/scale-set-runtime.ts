import { ArmError } from './errors.ts';
import type { MachineSpec, MachineStopReason } from './machine-host.ts';
import type { ArmState, Instance, Resource, ScaleSetRuntime } from './state.ts';
import type { Json } from './types.ts';

/** Path into a wire body, tolerant of missing levels. */
export function dig(body: unknown, ...keys: (string | number)[]): unknown {
  let value: unknown = body;
  for (const key of keys) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}

/** The model's primary NIC IP configurations, as sent. */
export function ipConfigurations(model: Json): Json[] {
  const nics = (dig(
    model,
    'properties',
    'virtualMachineProfile',
    'networkProfile',
    'networkInterfaceConfigurations',
  ) ?? []) as Json[];
  return nics.flatMap((nic) => (dig(nic, 'properties', 'ipConfigurations') ?? []) as Json[]);
}

export function primarySubnetId(model: Json): string {
  const id = dig(ipConfigurations(model)[0], 'properties', 'subnet', 'id');
  if (typeof id !== 'string') {
    throw new ArmError(
      400,
      'InvalidParameter',
      'Required parameter networkProfile.networkInterfaceConfigurations.ipConfigurations.subnet is missing.',
    );
  }
  return id;
}

/** Azure's computer names: prefix plus the instance id in base 36, six digits. */
export function computerNameOf(model: Json, scaleSet: string, instanceId: string): string {
  const prefix = dig(model, 'properties', 'virtualMachineProfile', 'osProfile', 'computerNamePrefix');
  return `${typeof prefix === 'string' ? prefix : scaleSet}${Number(instanceId).toString(36).padStart(6, '0')}`;
}

/** New instances in state Creating, with ids after the highest ever used and IPs from the subnet. */
export function addInstances(
  state: ArmState,
  runtime: ScaleSetRuntime,
  count: number,
  overprovision: boolean,
): Instance[] {
  const model = runtime.resource.body;
  const subnetId = primarySubnetId(model);
  const subnet = state.resource(subnetId.replace(/\/subnets\/[^/]+$/i, ''));
  const prefix = ((subnet?.body.properties as Json | undefined)?.subnets as Json[] | undefined)?.find(
    (candidate) => String(candidate.id).toLowerCase() === subnetId.toLowerCase(),
  )?.properties as Json | undefined;
  const addressPrefix = typeof prefix?.addressPrefix === 'string' ? prefix.addressPrefix : '10.0.0.0/24';
  const added: Instance[] = [];
  for (let index = 0; index < count; index++) {
    // Overprovisioning creates extra VMs and deletes them when enough succeed, so ids have gaps.
    if (overprovision) runtime.nextInstanceId++;
    const instanceId = String(runtime.nextInstanceId++);
    const instance: Instance = {
      instanceId,
      computerName: computerNameOf(model, runtime.resource.name, instanceId),
      privateIp: state.allocateIp(subnetId, addressPrefix),
      subnetId,
      provisioningState: 'Creating',
      powerState: 'starting',
      sshPort: null,
      timeCreated: new Date().toISOString(),
    };
    runtime.instances.set(instanceId, instance);
    added.push(instance);
  }
  return added;
}

export function specOf(runtime: ScaleSetRuntime, instance: Instance): MachineSpec {
  const model = runtime.resource.body;
  const osProfile = (dig(model, 'properties', 'virtualMachineProfile', 'osProfile') ?? {}) as Json;
  const keys = (dig(osProfile, 'linuxConfiguration', 'ssh', 'publicKeys') ?? []) as Json[];
  const customData = typeof osProfile.customData === 'string' ? osProfile.customData : '';
  return {
    subscriptionId: runtime.resource.subscriptionId,
    resourceGroup: runtime.resource.group,
    scaleSet: runtime.resource.name,
    instanceId: instance.instanceId,
    computerName: instance.computerName,
    privateIp: instance.privateIp,
    adminUsername: String(osProfile.adminUsername ?? ''),
    sshPublicKeys: keys.map((key) => String(key.keyData)),
    customData: customData === '' ? null : Buffer.from(customData, 'base64').toString('utf8'),
    vmSize: String(dig(model, 'sku', 'name') ?? ''),
  };
}

/** Boots the instances on the MachineHost; a refusal fails the operation like a provisioning error. */
export async function startInstances(
  state: ArmState,
  runtime: ScaleSetRuntime,
  instances: Instance[],
): Promise<void> {
  const results = await Promise.allSettled(
    instances.map(async (instance) => {
      instance.powerState = 'starting';
      const { sshPort } = await state.machineHost.start(specOf(runtime, instance));
      instance.sshPort = sshPort;
      instance.powerState = 'running';
      instance.provisioningState = 'Succeeded';
    }),
  );
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) {
    for (const instance of instances)
      if (instance.powerState !== 'running') instance.provisioningState = 'Failed';
    const reason = failed.reason instanceof Error ? failed.reason.message : String(failed.reason);
    throw new ArmError(500, 'OSProvisioningClientError', `OS provisioning failed for VM: ${reason}`);
  }
}

export async function stopInstances(
  state: ArmState,
  runtime: ScaleSetRuntime,
  instances: Instance[],
  reason: MachineStopReason,
): Promise<void> {
  await Promise.all(
    instances.map(async (instance) => {
      const up = instance.powerState !== 'deallocated' && instance.powerState !== 'stopped';
      // A delete also reaches machines already stopped, so the host can release them.
      if (instance.sshPort !== null && (up || reason === 'delete')) {
        await state.machineHost.stop(specOf(runtime, instance), reason);
      }
      if (reason === 'delete') {
        state.releaseIp(instance.subnetId, instance.privateIp);
        runtime.instances.delete(instance.instanceId);
      } else {
        instance.powerState = reason === 'deallocate' ? 'deallocated' : 'stopped';
      }
    }),
  );
}

/** Deletes a resource; a scale set's machines are stopped first (as force deletion does). */
export async function removeResource(state: ArmState, resource: Resource): Promise<void> {
  const runtime = state.scaleSets.get(resource.id.toLowerCase());
  if (runtime) {
    await stopInstances(state, runtime, [...runtime.instances.values()], 'delete');
    state.scaleSets.delete(resource.id.toLowerCase());
  }
  state.resources.delete(resource.id.toLowerCase());
}
