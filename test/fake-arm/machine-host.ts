/**
 * What the fake ARM tells a `MachineHost` about one scale-set instance. Everything a real host
 * needs to stand up a machine the way Azure would: the keys go to `adminUsername`'s
 * authorized_keys, `customData` is what cloud-init would read.
 */
export interface MachineSpec {
  /** Subscription the scale set lives in. */
  subscriptionId: string;
  /** Resource group name, as the client spelled it on create. */
  resourceGroup: string;
  /** Scale set name. */
  scaleSet: string;
  /** Azure's instance id ("0", "1", …); unique within the scale set, never reused. */
  instanceId: string;
  /** Computer name: `computerNamePrefix` + the instance id in base 36, six digits (as Azure). */
  computerName: string;
  /** Private IP from the scale set's subnet (10.0.0.4, 10.0.0.5, … for 10.0.0.0/24). */
  privateIp: string;
  /** `osProfile.adminUsername` of the scale-set model. */
  adminUsername: string;
  /** `linuxConfiguration.ssh.publicKeys[].keyData`, in order. */
  sshPublicKeys: string[];
  /** `osProfile.customData`, base64-decoded to UTF-8; null when the model has none. */
  customData: string | null;
  /** `sku.name` of the scale set, e.g. Standard_HB120rs_v3. */
  vmSize: string;
}

/** Why a machine stops: deallocate and powerOff keep the instance, delete removes it. */
export type MachineStopReason = 'deallocate' | 'powerOff' | 'delete';

/**
 * The machines behind the fake's scale-set instances. The fake calls `start` when an instance
 * is created or started after a deallocate/powerOff, and `stop` when it is deallocated, powered
 * off or deleted (instance delete, scale-in, scale-set delete, resource-group delete). The
 * long-running operation that caused the call stays `InProgress` until the returned promise
 * settles; a rejected `start` makes that operation end `Failed` with code
 * `OSProvisioningClientError` and the error's message.
 *
 * The NAT port the load balancer reports for the instance (queryInboundNatRulePortMapping, for
 * rules with backendPort 22) is the `sshPort` the last `start` returned, so a host backed by a
 * real sshd on 127.0.0.1 makes `ssh -p <frontendPort> <user>@<public IP 127.0.0.1>` work. Azure
 * keeps an instance's mapping across deallocate/start, so a host should hand back the same port
 * for the same machine when it can.
 */
export interface MachineHost {
  /** Boots (or re-boots) the machine; resolves once it accepts SSH on `sshPort`. */
  start(machine: MachineSpec): Promise<{ sshPort: number }>;
  /**
   * Stops the machine. `deallocate`/`powerOff` come once per start; `delete` comes for every
   * machine ever started, running or not, so the host can release it. Must be idempotent.
   */
  stop(machine: MachineSpec, reason: MachineStopReason): Promise<void>;
}

/** One machine as the in-memory host sees it. */
export interface HostedMachine {
  /** The spec of its latest start. */
  spec: MachineSpec;
  /** Port handed out; kept across stop/start like an Azure NAT mapping. */
  sshPort: number;
  /** Whether it is up. */
  running: boolean;
}

/**
 * A `MachineHost` with no processes: it hands out distinct ports (in random order, so nobody
 * can compute them from instance ids) and remembers what ran. For tests of the fake and of code
 * that never opens the SSH connection.
 */
export class InMemoryMachineHost implements MachineHost {
  readonly machines = new Map<string, HostedMachine>();
  readonly events: { kind: 'start' | MachineStopReason; key: string }[] = [];
  private readonly used = new Set<number>();
  private readonly firstPort: number;
  private readonly portCount: number;

  /** Ports come from [firstPort, firstPort + portCount). */
  constructor(firstPort = 50000, portCount = 1000) {
    this.firstPort = firstPort;
    this.portCount = portCount;
  }

  async start(spec: MachineSpec): Promise<{ sshPort: number }> {
    const key = machineKey(spec);
    const known = this.machines.get(key);
    const sshPort = known?.sshPort ?? this.freePort();
    this.machines.set(key, { spec, sshPort, running: true });
    this.events.push({ kind: 'start', key });
    return { sshPort };
  }

  async stop(spec: MachineSpec, reason: MachineStopReason): Promise<void> {
    const key = machineKey(spec);
    const known = this.machines.get(key);
    this.events.push({ kind: reason, key });
    if (!known) return;
    known.running = false;
    if (reason === 'delete') {
      this.machines.delete(key);
      this.used.delete(known.sshPort);
    }
  }

  /** Machines that are up now. */
  running(): HostedMachine[] {
    return [...this.machines.values()].filter((machine) => machine.running);
  }

  private freePort(): number {
    if (this.used.size >= this.portCount) throw new Error('InMemoryMachineHost: no free port left');
    for (;;) {
      const port = this.firstPort + Math.floor(Math.random() * this.portCount);
      if (!this.used.has(port)) {
        this.used.add(port);
        return port;
      }
    }
  }
}

/** `<group>/<scale set>/<instance id>`, lower-cased group and scale set as ARM compares them. */
export function machineKey(spec: Pick<MachineSpec, 'resourceGroup' | 'scaleSet' | 'instanceId'>): string {
  return `${spec.resourceGroup.toLowerCase()}/${spec.scaleSet.toLowerCase()}/${spec.instanceId}`;
}
