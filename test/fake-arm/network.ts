import { ArmError, resourceNotFound } from './errors.ts';
import { loadBalancerKind, loadBalancerRoutes } from './load-balancers.ts';
import {
  checkReference,
  children,
  deleteResource,
  found,
  listResources,
  putResource,
  viewOf,
} from './resources.ts';
import type { ResourceKind } from './resources.ts';
import { GROUP, route, type Route } from './router.ts';
import type { Json } from './types.ts';

const virtualNetworkKind: ResourceKind = {
  type: 'Microsoft.Network/virtualNetworks',
  inUseCode: 'InUseSubnetCannotBeDeleted',
  normalize(ctx, id, body, previous) {
    const properties = (body.properties ?? {}) as Json;
    const space = ((properties.addressSpace as Json | undefined)?.addressPrefixes ?? []) as string[];
    if (space.length === 0) {
      throw new ArmError(
        400,
        'InvalidAddressPrefix',
        `Virtual network ${id} must have at least one address prefix.`,
      );
    }
    const subnets = children(id, 'subnets', 'Microsoft.Network/virtualNetworks/subnets', properties.subnets);
    for (const subnet of subnets) {
      const prefix = (subnet.properties as Json).addressPrefix;
      if (typeof prefix !== 'string' || !space.some((range) => cidrContains(range, prefix))) {
        throw new ArmError(
          400,
          'NetcfgSubnetRangeOutsideVnet',
          `Subnet '${String(subnet.name)}' is not valid because its IP address range is outside the IP address range of virtual network '${id.split('/').pop()}'.`,
        );
      }
      checkReference(ctx.state, dig2(subnet, 'networkSecurityGroup'), String(subnet.id));
    }
    const kept = new Set(subnets.map((subnet) => String(subnet.id).toLowerCase()));
    for (const old of ((previous?.body.properties as Json | undefined)?.subnets ?? []) as Json[]) {
      const user = kept.has(String(old.id).toLowerCase())
        ? undefined
        : ctx.state.referencedBy(String(old.id));
      if (user) {
        throw new ArmError(
          400,
          'InUseSubnetCannotBeDeleted',
          `Subnet ${String(old.name)} is in use by ${user.id} and cannot be deleted.`,
        );
      }
    }
    return { virtualNetworkPeerings: [], enableDdosProtection: false, ...properties, subnets };
  },
};

/** The six rules Azure adds to every NSG (NetworkSecurityGroupCreate.json). */
const DEFAULT_RULES: [string, string, string, string, string, number][] = [
  ['AllowVnetInBound', 'Inbound', 'Allow', 'VirtualNetwork', 'VirtualNetwork', 65000],
  ['AllowAzureLoadBalancerInBound', 'Inbound', 'Allow', 'AzureLoadBalancer', '*', 65001],
  ['DenyAllInBound', 'Inbound', 'Deny', '*', '*', 65500],
  ['AllowVnetOutBound', 'Outbound', 'Allow', 'VirtualNetwork', 'VirtualNetwork', 65000],
  ['AllowInternetOutBound', 'Outbound', 'Allow', '*', 'Internet', 65001],
  ['DenyAllOutBound', 'Outbound', 'Deny', '*', '*', 65500],
];

const networkSecurityGroupKind: ResourceKind = {
  type: 'Microsoft.Network/networkSecurityGroups',
  inUseCode: 'InUseNetworkSecurityGroupCannotBeDeleted',
  normalize(_ctx, id, body) {
    const properties = (body.properties ?? {}) as Json;
    const type = 'Microsoft.Network/networkSecurityGroups/securityRules';
    const securityRules = children(id, 'securityRules', type, properties.securityRules);
    for (const rule of securityRules) {
      const priority = Number((rule.properties as Json).priority);
      if (!Number.isInteger(priority) || priority < 100 || priority > 4096) {
        throw new ArmError(
          400,
          'SecurityRuleInvalidPriority',
          `Security rule has invalid Priority. Value provided: ${String((rule.properties as Json).priority)} Allowed range 100-4096.`,
        );
      }
    }
    const defaultSecurityRules = DEFAULT_RULES.map(
      ([name, direction, access, source, destination, priority]) => ({
        name,
        id: `${id}/defaultSecurityRules/${name}`,
        type: 'Microsoft.Network/networkSecurityGroups/defaultSecurityRules',
        etag: 'W/"00000000-0000-0000-0000-000000000000"',
        properties: {
          provisioningState: 'Succeeded',
          description: `Default rule ${name}`,
          protocol: '*',
          sourcePortRange: '*',
          destinationPortRange: '*',
          sourceAddressPrefix: source,
          destinationAddressPrefix: destination,
          access,
          priority,
          direction,
        },
      }),
    );
    return { flushConnection: false, ...properties, securityRules, defaultSecurityRules };
  },
};

const publicIpKind: ResourceKind = {
  type: 'Microsoft.Network/publicIPAddresses',
  inUseCode: 'PublicIPAddressCannotBeDeleted',
  defaults: { sku: { name: 'Basic', tier: 'Regional' } },
  normalize(_ctx, _id, body) {
    const properties = (body.properties ?? {}) as Json;
    const standard = String((body.sku as Json | undefined)?.name ?? 'Basic').toLowerCase() === 'standard';
    const method = properties.publicIPAllocationMethod ?? (standard ? 'Static' : 'Dynamic');
    if (standard && method !== 'Static') {
      throw new ArmError(
        400,
        'StandardSkuPublicIPAddressesMustBeStatic',
        'Standard sku publicIp addresses must have their allocation method set to Static.',
      );
    }
    // The fake's machines listen on loopback, so the address a client connects to is 127.0.0.1.
    return {
      publicIPAddressVersion: 'IPv4',
      idleTimeoutInMinutes: 4,
      ddosSettings: { protectionMode: 'VirtualNetworkInherited' },
      ...properties,
      publicIPAllocationMethod: method,
      ...(method === 'Static' ? { ipAddress: '127.0.0.1' } : {}),
    };
  },
};

function dig2(child: Json, key: string): unknown {
  return ((child.properties as Json)[key] as Json | undefined)?.id;
}

function cidrContains(range: string, prefix: string): boolean {
  const [rangeIp = '', rangeBits = '0'] = range.split('/');
  const [ip = '', bits = '0'] = prefix.split('/');
  if (Number(bits) < Number(rangeBits)) return false;
  const toNumber = (text: string) => text.split('.').reduce((total, part) => total * 256 + Number(part), 0);
  const size = 2 ** (32 - Number(rangeBits));
  const start = Math.floor(toNumber(rangeIp) / size) * size;
  return toNumber(ip) >= start && toNumber(ip) < start + size;
}

function kindRoutes(kind: ResourceKind): Route[] {
  const collection = `${GROUP}/providers/${kind.type.replace('.', '\\.')}`;
  return [
    route('PUT', `${collection}/([^/]+)`, (ctx) => putResource(ctx, kind)),
    route('GET', `${collection}/([^/]+)`, (ctx) => ({
      status: 200,
      body: viewOf(ctx.state, kind, found(ctx, kind.type).resource),
    })),
    route('DELETE', `${collection}/([^/]+)`, (ctx) => deleteResource(ctx, kind)),
    route('GET', collection, (ctx) => listResources(ctx, kind)),
  ];
}

const subnetRoute = route(
  'GET',
  `${GROUP}/providers/Microsoft\\.Network/virtualNetworks/([^/]+)/subnets/([^/]+)`,
  (ctx) => {
    const { resource } = found(ctx, virtualNetworkKind.type);
    const name = ctx.params[3] ?? '';
    const subnet = (((resource.body.properties as Json).subnets ?? []) as Json[]).find(
      (candidate) => String(candidate.name).toLowerCase() === name.toLowerCase(),
    );
    if (!subnet)
      throw resourceNotFound(
        'Microsoft.Network/virtualNetworks/subnets',
        `${resource.name}/${name}`,
        resource.group,
      );
    return { status: 200, body: subnet };
  },
);

/** Virtual networks (+ subnets), NSGs, public IPs and load balancers. */
export const networkRoutes: Route[] = [
  subnetRoute,
  ...loadBalancerRoutes,
  ...[virtualNetworkKind, networkSecurityGroupKind, publicIpKind, loadBalancerKind].flatMap(kindRoutes),
];
