import fs from 'node:fs';
import path from 'node:path';
import type { VirtualMachineScaleSet } from '@azure/arm-compute';
import type { LoadBalancer } from '@azure/arm-network';
import {
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineRequest,
  type Pipeline,
} from '@azure/core-rest-pipeline';
import { specsDir } from '../support/specs.ts';
import type { FakeArm } from './types.ts';

/** One published ARM example (x-ms-examples), with its placeholders replaced by `replace`. */
export interface ArmExample {
  parameters: Record<string, unknown> & { parameters?: Record<string, unknown> };
  responses: Record<string, { headers?: Record<string, string>; body?: unknown }>;
}

export function example(file: string, replace: Record<string, string> = {}): ArmExample {
  let text = fs.readFileSync(path.join(specsDir('azure'), file), 'utf8');
  for (const [from, to] of Object.entries(replace)) text = text.split(from).join(to);
  return JSON.parse(text) as ArmExample;
}

/** Key paths of `expected` (arrays: their first item) missing from `actual` or of another JSON type. */
export function shapeGaps(expected: unknown, actual: unknown, at = ''): string[] {
  const kind = (value: unknown) => (Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value);
  if (actual === undefined) return [at || '(root)'];
  if (kind(expected) !== kind(actual)) return [`${at} (${kind(actual)} instead of ${kind(expected)})`];
  if (Array.isArray(expected)) {
    const actualList = actual as unknown[];
    if (expected.length === 0) return [];
    if (actualList.length === 0) return [`${at}[0]`];
    return shapeGaps(expected[0], actualList[0], `${at}[0]`);
  }
  if (kind(expected) !== 'object') return [];
  return Object.entries(expected as Record<string, unknown>).flatMap(([key, value]) =>
    shapeGaps(value, (actual as Record<string, unknown>)[key], at ? `${at}.${key}` : key),
  );
}

/**
 * Sends a wire-shaped request through a real SDK client's pipeline (its auth, retry and TLS
 * policies), for example bodies that the typed models would reshape.
 */
export async function sendRaw(
  client: { pipeline: Pipeline },
  fake: FakeArm,
  method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE' | 'HEAD',
  pathAndQuery: string,
  body?: unknown,
): Promise<{ status: number; headers: Record<string, string>; body: unknown }> {
  const request = createPipelineRequest({
    url: `${fake.url}${pathAndQuery}`,
    method,
    headers: createHttpHeaders({ 'content-type': 'application/json', accept: 'application/json' }),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const response = await client.pipeline.sendRequest(createDefaultHttpClient(), request);
  const text = response.bodyAsText ?? '';
  return {
    status: response.status,
    headers: response.headers.toJSON(),
    body: text === '' ? undefined : JSON.parse(text),
  };
}

export const SSH_KEY =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFake mpibox-test';

/** What mpibox's `up` creates, in the SDK's flattened models. */
export function clusterModels(subscriptionId: string, group: string, location = 'eastus') {
  const network = `/subscriptions/${subscriptionId}/resourceGroups/${group}/providers/Microsoft.Network`;
  const lbId = `${network}/loadBalancers/lb`;
  const loadBalancer: LoadBalancer = {
    location,
    sku: { name: 'Standard' },
    frontendIPConfigurations: [{ name: 'fe', publicIPAddress: { id: `${network}/publicIPAddresses/pip` } }],
    backendAddressPools: [{ name: 'nodes' }],
    inboundNatRules: [
      {
        name: 'ssh',
        frontendIPConfiguration: { id: `${lbId}/frontendIPConfigurations/fe` },
        backendAddressPool: { id: `${lbId}/backendAddressPools/nodes` },
        protocol: 'Tcp',
        frontendPortRangeStart: 50000,
        frontendPortRangeEnd: 50099,
        backendPort: 22,
      },
    ],
    outboundRules: [
      {
        name: 'egress',
        frontendIPConfigurations: [{ id: `${lbId}/frontendIPConfigurations/fe` }],
        backendAddressPool: { id: `${lbId}/backendAddressPools/nodes` },
        protocol: 'All',
      },
    ],
  };
  const scaleSet = (
    capacity: number,
    overrides: { adminUsername?: string; customData?: string } = {},
  ): VirtualMachineScaleSet => ({
    location,
    sku: { name: 'Standard_HB120rs_v3', tier: 'Standard', capacity },
    singlePlacementGroup: true,
    overprovision: false,
    upgradePolicy: { mode: 'Manual' },
    virtualMachineProfile: {
      storageProfile: {
        imageReference: { publisher: 'microsoft-dsvm', offer: 'ubuntu-hpc', sku: '2204', version: 'latest' },
        osDisk: { createOption: 'FromImage', managedDisk: { storageAccountType: 'Premium_LRS' } },
      },
      osProfile: {
        computerNamePrefix: 'node',
        adminUsername: overrides.adminUsername ?? 'mpiboxadmin',
        customData: overrides.customData ?? Buffer.from('#cloud-config\n{}\n').toString('base64'),
        linuxConfiguration: {
          disablePasswordAuthentication: true,
          ssh: {
            publicKeys: [
              {
                path: `/home/${overrides.adminUsername ?? 'mpiboxadmin'}/.ssh/authorized_keys`,
                keyData: SSH_KEY,
              },
            ],
          },
        },
      },
      networkProfile: {
        networkInterfaceConfigurations: [
          {
            name: 'nic',
            primary: true,
            enableAcceleratedNetworking: true,
            networkSecurityGroup: { id: `${network}/networkSecurityGroups/nsg` },
            ipConfigurations: [
              {
                name: 'ip',
                subnet: { id: `${network}/virtualNetworks/vnet/subnets/default` },
                loadBalancerBackendAddressPools: [{ id: `${lbId}/backendAddressPools/nodes` }],
              },
            ],
          },
        ],
      },
    },
  });
  return {
    group: { location, tags: { 'created-by': 'mpibox', cluster: 'c1' } },
    virtualNetwork: {
      location,
      addressSpace: { addressPrefixes: ['10.0.0.0/16'] },
      subnets: [{ name: 'default', addressPrefix: '10.0.0.0/24' }],
    },
    networkSecurityGroup: {
      location,
      securityRules: [
        {
          name: 'ssh-in',
          protocol: 'Tcp' as const,
          sourceAddressPrefix: '203.0.113.0/24',
          sourcePortRange: '*',
          destinationAddressPrefix: '*',
          destinationPortRange: '22',
          access: 'Allow' as const,
          priority: 100,
          direction: 'Inbound' as const,
        },
      ],
    },
    publicIp: { location, sku: { name: 'Standard' as const }, publicIPAllocationMethod: 'Static' as const },
    loadBalancer,
    scaleSet,
  };
}
