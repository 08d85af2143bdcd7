import { ArmError, groupNotFound } from './errors.ts';
import { InMemoryMachineHost, type MachineHost } from './machine-host.ts';
import { Operations } from './operations.ts';
import { Faults } from './faults.ts';
import { DEFAULT_QUOTAS, VM_SIZES } from './compute-rules.ts';
import type { FakeArmOptions, Json, PowerState, RequestRecord, VmSizeInfo } from './types.ts';

export const DEFAULT_SUBSCRIPTION_ID = '00000000-0000-0000-0000-000000000000';

/** A resource group. ARM compares names case-insensitively and keeps the case of the create. */
export interface Group {
  subscriptionId: string;
  name: string;
  id: string;
  location: string;
  tags: Record<string, string>;
  state: 'Succeeded' | 'Deleting';
}

/** Any resource below a group; `body` is the wire shape the fake answers GET with. */
export interface Resource {
  id: string;
  /** Provider type, e.g. Microsoft.Network/virtualNetworks, in ARM's canonical case. */
  type: string;
  name: string;
  subscriptionId: string;
  group: string;
  location: string;
  body: Json;
}

/** One scale-set instance. */
export interface Instance {
  instanceId: string;
  computerName: string;
  privateIp: string;
  subnetId: string;
  provisioningState: 'Creating' | 'Succeeded' | 'Failed' | 'Deleting';
  powerState: PowerState;
  /** Port of the latest MachineHost start; null before the first. */
  sshPort: number | null;
  timeCreated: string;
}

/** Runtime of a scale set beside its model (`Resource.body`). */
export interface ScaleSetRuntime {
  instances: Map<string, Instance>;
  nextInstanceId: number;
  /** Model at the last successful operation; instances are built from it. */
  resource: Resource;
}

/** Everything the fake holds. One per server. */
export class ArmState {
  readonly subscriptionIds: string[];
  readonly token: string;
  readonly machineHost: MachineHost;
  readonly groups = new Map<string, Group>();
  readonly resources = new Map<string, Resource>();
  readonly scaleSets = new Map<string, ScaleSetRuntime>();
  readonly quotas: Record<string, number>;
  readonly vmSizes: Record<string, VmSizeInfo>;
  readonly requests: RequestRecord[] = [];
  readonly operations: Operations;
  readonly faults = new Faults();
  private readonly ipsInUse = new Map<string, Set<string>>();
  baseUrl = '';

  constructor(options: FakeArmOptions) {
    this.subscriptionIds = options.subscriptionIds ?? [DEFAULT_SUBSCRIPTION_ID];
    this.token = options.token ?? FAKE_ARM_TOKEN;
    this.machineHost = options.machineHost ?? new InMemoryMachineHost();
    this.quotas = { ...DEFAULT_QUOTAS, ...options.quotas };
    this.vmSizes = { ...VM_SIZES, ...options.vmSizes };
    this.operations = new Operations(options.inProgressPolls ?? 1, options.retryAfterInSeconds ?? 0);
  }

  checkSubscription(subscriptionId: string): void {
    if (!this.subscriptionIds.some((id) => id.toLowerCase() === subscriptionId.toLowerCase())) {
      throw new ArmError(
        404,
        'SubscriptionNotFound',
        `The subscription '${subscriptionId}' could not be found.`,
      );
    }
  }

  findGroup(subscriptionId: string, name: string): Group | undefined {
    return this.groups.get(groupKey(subscriptionId, name));
  }

  /** The group, or 404 ResourceGroupNotFound; 409 while it is being deleted when `forWrite`. */
  group(subscriptionId: string, name: string, forWrite = false): Group {
    this.checkSubscription(subscriptionId);
    const group = this.findGroup(subscriptionId, name);
    if (!group) throw groupNotFound(name);
    if (forWrite && group.state === 'Deleting') {
      throw new ArmError(
        409,
        'ResourceGroupBeingDeleted',
        `The resource group '${group.name}' is in deprovisioning state and cannot perform this operation.`,
      );
    }
    return group;
  }

  resource(id: string): Resource | undefined {
    return this.resources.get(id.toLowerCase());
  }

  resourcesIn(group: Group): Resource[] {
    const prefix = `${group.id.toLowerCase()}/`;
    return [...this.resources.values()].filter((resource) => resource.id.toLowerCase().startsWith(prefix));
  }

  /** The first other resource whose body mentions `id` (or a child of it), as ARM's in-use checks. */
  referencedBy(id: string): Resource | undefined {
    const needle = id.toLowerCase();
    return [...this.resources.values()].find((other) => {
      if (other.id.toLowerCase() === needle) return false;
      const text = JSON.stringify(other.body).toLowerCase();
      return text.includes(`"${needle}"`) || text.includes(`"${needle}/`);
    });
  }

  /** Lowest free address of the subnet, skipping the five Azure reserves (.0–.3 and broadcast). */
  allocateIp(subnetId: string, prefix: string): string {
    const used = this.ipsInUse.get(subnetId.toLowerCase()) ?? new Set<string>();
    this.ipsInUse.set(subnetId.toLowerCase(), used);
    const [base, bitsText] = prefix.split('/');
    const bits = Number(bitsText);
    const start = ipToNumber(base ?? '') & (bits === 0 ? 0 : ~0 << (32 - bits));
    const size = 2 ** (32 - bits);
    for (let offset = 4; offset < size - 1; offset++) {
      const ip = numberToIp(start + offset);
      if (!used.has(ip)) {
        used.add(ip);
        return ip;
      }
    }
    throw new ArmError(
      400,
      'SubnetIsFull',
      `Subnet ${subnetId} with address prefix ${prefix} does not have enough capacity for 1 IP addresses.`,
    );
  }

  releaseIp(subnetId: string, ip: string): void {
    this.ipsInUse.get(subnetId.toLowerCase())?.delete(ip);
  }
}

/** The token `fakeTokenCredential` issues and the fake accepts by default. */
export const FAKE_ARM_TOKEN = 'fake-arm-token';

export function groupKey(subscriptionId: string, name: string): string {
  return `${subscriptionId}/${name}`.toLowerCase();
}

function ipToNumber(ip: string): number {
  return ip.split('.').reduce((total, part) => total * 256 + Number(part), 0);
}

function numberToIp(value: number): string {
  const unsigned = value >>> 0;
  return [24, 16, 8, 0].map((shift) => (unsigned >>> shift) & 255).join('.');
}
