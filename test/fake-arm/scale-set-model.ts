import { ArmError } from './errors.ts';
import { checkOsProfile, familyLimit, quotaExceeded, sizeOf } from './compute-rules.ts';
import { checkReference } from './resources.ts';
import { dig, ipConfigurations, primarySubnetId } from './scale-set-runtime.ts';
import type { ArmState, Resource } from './state.ts';
import type { Json } from './types.ts';

export const VMSS = 'Microsoft.Compute/virtualMachineScaleSets';

/** Refuses a scale-set model Azure would refuse; returns its capacity. */
export function checkModel(state: ArmState, id: string, body: Json, previous: Resource | undefined): number {
  const location = String(body.location ?? '');
  sizeOf(state.vmSizes, dig(body, 'sku', 'name'), location);
  const capacity = Number(dig(body, 'sku', 'capacity') ?? 0);
  if (!Number.isInteger(capacity) || capacity < 0 || capacity > 1000) {
    throw new ArmError(
      400,
      'InvalidParameter',
      `The value ${String(dig(body, 'sku', 'capacity'))} of parameter 'sku.capacity' is not valid.`,
      'sku.capacity',
    );
  }
  const singlePlacementGroup = dig(body, 'properties', 'singlePlacementGroup') !== false;
  if (singlePlacementGroup && capacity > 100) {
    throw new ArmError(
      400,
      'InvalidParameter',
      'The capacity of a scale set with singlePlacementGroup true cannot exceed 100.',
      'sku.capacity',
    );
  }
  const osProfile = dig(body, 'properties', 'virtualMachineProfile', 'osProfile') as Json | undefined;
  checkOsProfile(osProfile);
  const before = previous
    ? dig(previous.body, 'properties', 'virtualMachineProfile', 'osProfile', 'adminUsername')
    : undefined;
  if (before !== undefined && before !== osProfile?.adminUsername) {
    throw new ArmError(
      409,
      'PropertyChangeNotAllowed',
      "Changing property 'osProfile.adminUsername' is not allowed.",
      'osProfile.adminUsername',
    );
  }
  primarySubnetId(body);
  for (const config of ipConfigurations(body)) {
    const properties = (config.properties ?? {}) as Json;
    checkReference(state, dig(properties, 'subnet', 'id'), id);
    for (const key of ['loadBalancerBackendAddressPools', 'loadBalancerInboundNatPools']) {
      for (const ref of (properties[key] ?? []) as Json[]) checkReference(state, ref.id, id);
    }
  }
  return capacity;
}

/** vCPUs allocated (not deallocated, not being deleted) per family and in total (`cores`), in a region. */
export function allocatedCores(
  state: ArmState,
  subscriptionId: string,
  location: string,
): Map<string, number> {
  const totals = new Map<string, number>();
  for (const runtime of state.scaleSets.values()) {
    const { resource } = runtime;
    if (resource.subscriptionId.toLowerCase() !== subscriptionId.toLowerCase()) continue;
    if (resource.location.toLowerCase() !== location.toLowerCase()) continue;
    const size = state.vmSizes[String(dig(resource.body, 'sku', 'name'))];
    if (!size) continue;
    const allocated = [...runtime.instances.values()].filter(
      (instance) => instance.powerState !== 'deallocated' && instance.provisioningState !== 'Deleting',
    ).length;
    totals.set(size.family, (totals.get(size.family) ?? 0) + allocated * size.vCpus);
    totals.set('cores', (totals.get('cores') ?? 0) + allocated * size.vCpus);
  }
  return totals;
}

/**
 * 409 OperationNotAllowed, with Azure's numbers, when `instances` more VMs of `sizeName` would
 * exceed the family's or the region's vCPU limit.
 */
export function checkQuota(
  state: ArmState,
  subscriptionId: string,
  location: string,
  sizeName: string,
  instances: number,
): void {
  if (instances <= 0) return;
  const size = sizeOf(state.vmSizes, sizeName, location);
  const totals = allocatedCores(state, subscriptionId, location);
  const required = instances * size.vCpus;
  for (const [key, label] of [
    [size.family, `${size.family} Cores`],
    ['cores', 'Total Regional Cores'],
  ] as const) {
    const limit = familyLimit(state.quotas, key);
    const used = totals.get(key) ?? 0;
    if (used + required > limit) throw quotaExceeded(label, location, limit, used, required);
  }
}

/** The model as Azure returns it: never adminPassword or customData; userData only on `$expand`. */
export function publicModel(resource: Resource, expandUserData: boolean): Json {
  const body = structuredClone(resource.body);
  const profile = dig(body, 'properties', 'virtualMachineProfile') as Json | undefined;
  const osProfile = profile?.osProfile as Json | undefined;
  if (osProfile) {
    delete osProfile.adminPassword;
    delete osProfile.customData;
  }
  if (profile && !expandUserData) delete profile.userData;
  return body;
}

/** Arrays replace, objects merge: how ARM applies a PATCH body to a model. */
export function merge(base: Json, patch: Json): Json {
  const result: Json = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const old = result[key];
    const bothObjects =
      value !== null &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      old !== null &&
      typeof old === 'object' &&
      !Array.isArray(old);
    result[key] = bothObjects ? merge(old as Json, value as Json) : value;
  }
  return result;
}

/** The NIC defaults Azure fills into a scale-set model (dnsSettings, accelerated networking, IPv4). */
export function withNicDefaults(body: Json): Json {
  const model = structuredClone(body);
  const nics = (dig(
    model,
    'properties',
    'virtualMachineProfile',
    'networkProfile',
    'networkInterfaceConfigurations',
  ) ?? []) as Json[];
  for (const nic of nics) {
    const properties = (nic.properties ?? {}) as Json;
    nic.properties = { dnsSettings: { dnsServers: [] }, enableAcceleratedNetworking: false, ...properties };
    for (const config of (properties.ipConfigurations ?? []) as Json[]) {
      config.properties = { privateIPAddressVersion: 'IPv4', ...(config.properties as Json) };
    }
  }
  return model;
}
