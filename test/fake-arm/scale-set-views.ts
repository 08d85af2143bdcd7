import { createHash } from 'node:crypto';
import { resourceNotFound } from './errors.ts';
import { ipConfigurationId } from './load-balancers.ts';
import { route, type Ctx, type Route } from './router.ts';
import { VMSS } from './scale-set-model.ts';
import { dig, ipConfigurations } from './scale-set-runtime.ts';
import { SCALE_SET, scaleSetAction, scaleSetOf } from './scale-sets.ts';
import type { Instance, ScaleSetRuntime } from './state.ts';
import type { Json } from './types.ts';

const DISPLAY: Record<string, string> = {
  starting: 'VM starting',
  running: 'VM running',
  stopping: 'VM stopping',
  stopped: 'VM stopped',
  deallocating: 'VM deallocating',
  deallocated: 'VM deallocated',
};

/** A stable GUID per instance, as Azure's vmId. */
function vmIdOf(id: string): string {
  const hex = createHash('sha256').update(id.toLowerCase()).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function sorted(runtime: ScaleSetRuntime): Instance[] {
  return [...runtime.instances.values()].sort((a, b) => Number(a.instanceId) - Number(b.instanceId));
}

function instanceOf(ctx: Ctx, runtime: ScaleSetRuntime): Instance {
  const instance = runtime.instances.get(ctx.params[3] ?? '');
  if (!instance) {
    throw resourceNotFound(
      `${VMSS}/virtualMachines`,
      `${runtime.resource.name}/${ctx.params[3]}`,
      runtime.resource.group,
    );
  }
  return instance;
}

/** instanceView of one VM: a ProvisioningState/… and a PowerState/… status, as Azure reports. */
export function instanceView(instance: Instance): Json {
  const provisioning = instance.provisioningState.toLowerCase();
  return {
    platformUpdateDomain: 0,
    platformFaultDomain: 0,
    computerName: instance.computerName,
    osName: 'ubuntu',
    osVersion: '22.04',
    statuses: [
      {
        code: `ProvisioningState/${provisioning}`,
        level: instance.provisioningState === 'Failed' ? 'Error' : 'Info',
        displayStatus: `Provisioning ${provisioning === 'succeeded' ? 'succeeded' : provisioning}`,
        time: instance.timeCreated,
      },
      ...(instance.provisioningState === 'Creating'
        ? []
        : [
            {
              code: `PowerState/${instance.powerState}`,
              level: 'Info',
              displayStatus: DISPLAY[instance.powerState],
            },
          ]),
    ],
  };
}

function nicName(runtime: ScaleSetRuntime): string {
  const name = dig(
    runtime.resource.body,
    'properties',
    'virtualMachineProfile',
    'networkProfile',
    'networkInterfaceConfigurations',
    0,
    'name',
  );
  return String(name);
}

function vmBody(runtime: ScaleSetRuntime, instance: Instance, expand: boolean): Json {
  const { resource } = runtime;
  const id = `${resource.id}/virtualMachines/${instance.instanceId}`;
  const profile = (dig(resource.body, 'properties', 'virtualMachineProfile') ?? {}) as Json;
  const osProfile = (profile.osProfile ?? {}) as Json;
  return {
    name: `${resource.name}_${instance.instanceId}`,
    id,
    type: 'Microsoft.Compute/virtualMachines',
    location: resource.location,
    instanceId: instance.instanceId,
    sku: { name: dig(resource.body, 'sku', 'name'), tier: dig(resource.body, 'sku', 'tier') ?? 'Standard' },
    ...(resource.body.tags ? { tags: resource.body.tags } : {}),
    properties: {
      latestModelApplied: true,
      vmId: vmIdOf(id),
      hardwareProfile: {},
      storageProfile: profile.storageProfile ?? {},
      osProfile: {
        computerName: instance.computerName,
        adminUsername: osProfile.adminUsername,
        ...(osProfile.linuxConfiguration ? { linuxConfiguration: osProfile.linuxConfiguration } : {}),
        secrets: [],
        allowExtensionOperations: true,
        requireGuestProvisionSignal: true,
      },
      networkProfile: {
        networkInterfaces: [
          { id: `${id}/networkInterfaces/${nicName(runtime)}`, properties: { primary: true } },
        ],
      },
      networkProfileConfiguration: dig(profile, 'networkProfile') ?? {},
      provisioningState: instance.provisioningState,
      timeCreated: instance.timeCreated,
      ...(expand ? { instanceView: instanceView(instance) } : {}),
    },
  };
}

/** The NIC of one instance, shaped like VmssNetworkInterfaceList.json. */
function nicBody(runtime: ScaleSetRuntime, instance: Instance): Json {
  const { resource } = runtime;
  const vmId = `${resource.id}/virtualMachines/${instance.instanceId}`;
  const nicId = `${vmId}/networkInterfaces/${nicName(runtime)}`;
  const config = ipConfigurations(resource.body)[0] ?? {};
  const properties = (config.properties ?? {}) as Json;
  const natPools = (properties.loadBalancerInboundNatPools ?? []) as Json[];
  const nicConfig = dig(
    resource.body,
    'properties',
    'virtualMachineProfile',
    'networkProfile',
    'networkInterfaceConfigurations',
    0,
    'properties',
  ) as Json | undefined;
  return {
    name: nicName(runtime),
    id: nicId,
    properties: {
      provisioningState: instance.provisioningState === 'Creating' ? 'Updating' : 'Succeeded',
      ipConfigurations: [
        {
          name: String(config.name),
          id: ipConfigurationId(runtime, instance),
          properties: {
            provisioningState: 'Succeeded',
            privateIPAddress: instance.privateIp,
            privateIPAllocationMethod: 'Dynamic',
            subnet: { id: instance.subnetId },
            primary: true,
            privateIPAddressVersion: 'IPv4',
            loadBalancerBackendAddressPools: properties.loadBalancerBackendAddressPools ?? [],
            loadBalancerInboundNatRules: natPools.map((pool) => ({
              id: `${String(pool.id).replace(/\/inboundNatPools\//i, '/inboundNatRules/')}.${instance.instanceId}`,
            })),
          },
        },
      ],
      dnsSettings: { dnsServers: [], appliedDnsServers: [] },
      macAddress: '00-0D-3A-00-00-00',
      enableAcceleratedNetworking: nicConfig?.enableAcceleratedNetworking ?? false,
      enableIPForwarding: nicConfig?.enableIPForwarding ?? false,
      ...(nicConfig?.networkSecurityGroup ? { networkSecurityGroup: nicConfig.networkSecurityGroup } : {}),
      primary: true,
      virtualMachine: { id: vmId },
    },
  };
}

function expandsInstanceView(ctx: Ctx): boolean {
  return (ctx.query.get('$expand') ?? '').toLowerCase() === 'instanceview';
}

const VM = `${SCALE_SET}/virtualMachines/([^/]+)`;

/** Instances of a scale set: VMs, their instance views, their NICs, and per-instance actions. */
export const scaleSetViewRoutes: Route[] = [
  route('GET', `${SCALE_SET}/virtualMachines`, (ctx) => {
    const runtime = scaleSetOf(ctx);
    return {
      status: 200,
      body: { value: sorted(runtime).map((one) => vmBody(runtime, one, expandsInstanceView(ctx))) },
    };
  }),
  route('GET', VM, (ctx) => {
    const runtime = scaleSetOf(ctx);
    return { status: 200, body: vmBody(runtime, instanceOf(ctx, runtime), expandsInstanceView(ctx)) };
  }),
  route('GET', `${VM}/instanceView`, (ctx) => {
    const runtime = scaleSetOf(ctx);
    return { status: 200, body: instanceView(instanceOf(ctx, runtime)) };
  }),
  route('GET', `${SCALE_SET}/instanceView`, (ctx) => {
    const runtime = scaleSetOf(ctx);
    const counts = new Map<string, number>();
    for (const instance of runtime.instances.values()) {
      const code = `ProvisioningState/${instance.provisioningState.toLowerCase()}`;
      counts.set(code, (counts.get(code) ?? 0) + 1);
    }
    const state = String(dig(runtime.resource.body, 'properties', 'provisioningState')).toLowerCase();
    return {
      status: 200,
      body: {
        virtualMachine: { statusesSummary: [...counts].map(([code, count]) => ({ code, count })) },
        statuses: [
          { code: `ProvisioningState/${state}`, level: 'Info', displayStatus: `Provisioning ${state}` },
        ],
      },
    };
  }),
  route('GET', `${SCALE_SET}/networkInterfaces`, (ctx) => {
    const runtime = scaleSetOf(ctx);
    return { status: 200, body: { value: sorted(runtime).map((one) => nicBody(runtime, one)) } };
  }),
  route('GET', `${VM}/networkInterfaces`, (ctx) => {
    const runtime = scaleSetOf(ctx);
    return { status: 200, body: { value: [nicBody(runtime, instanceOf(ctx, runtime))] } };
  }),
  route('DELETE', VM, (ctx) => {
    const runtime = scaleSetOf(ctx);
    if (!runtime.instances.has(ctx.params[3] ?? '')) return { status: 204 };
    return scaleSetAction(ctx, 'delete', ctx.params[3]);
  }),
  ...(['deallocate', 'start', 'poweroff', 'restart'] as const).map((action) =>
    route('POST', `${VM}/${action}`, (ctx) => scaleSetAction(ctx, action, ctx.params[3])),
  ),
];
