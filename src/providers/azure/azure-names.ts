/**
 * Where a cluster lives in Azure: one resource group per cluster, fixed resource names inside
 * it, and the ARM ids that link them. Pure.
 */

/** The VNet's range. Not 172.16.0.0/16: Azure's RDMA (InfiniBand) network reserves it. */
export const VNET_CIDR = '10.42.0.0/16';
/** The nodes' subnet: room for 4,091 nodes. */
export const SUBNET_CIDR = '10.42.0.0/20';
/** First SSH port of the load balancer's NAT rule; node k gets one port of the range. */
export const NAT_FRONTEND_PORT_START = 10106;

/** Every tag mpibox sets on a cluster's resource group; `created-by` finds orphans. */
export const CREATED_BY_TAG = { name: 'created-by', value: 'mpibox' } as const;

export function azureNames(clusterId: string) {
  return {
    resourceGroup: `mpibox-${clusterId}`,
    vnet: 'vnet',
    subnet: 'nodes',
    nsg: 'ssh',
    publicIp: 'ip',
    loadBalancer: 'lb',
    frontend: 'frontend',
    backendPool: 'nodes',
    natRule: 'ssh',
    outboundRule: 'outbound',
    scaleSet: 'nodes',
  };
}

export type AzureNames = ReturnType<typeof azureNames>;

/** ARM ids of the resources that reference each other. */
export function azureIds(subscriptionId: string, names: AzureNames) {
  const group = `/subscriptions/${subscriptionId}/resourceGroups/${names.resourceGroup}`;
  const network = `${group}/providers/Microsoft.Network`;
  const lb = `${network}/loadBalancers/${names.loadBalancer}`;
  return {
    group,
    subnet: `${network}/virtualNetworks/${names.vnet}/subnets/${names.subnet}`,
    nsg: `${network}/networkSecurityGroups/${names.nsg}`,
    publicIp: `${network}/publicIPAddresses/${names.publicIp}`,
    loadBalancer: lb,
    frontend: `${lb}/frontendIPConfigurations/${names.frontend}`,
    backendPool: `${lb}/backendAddressPools/${names.backendPool}`,
  };
}

export type AzureIds = ReturnType<typeof azureIds>;

/** The cluster id a resource group of ours stands for; null for any other group. */
export function clusterIdOfGroup(resourceGroup: string): string | null {
  const match = /^mpibox-([a-z0-9-]+)$/.exec(resourceGroup);
  return match?.[1] ?? null;
}
