import type { VirtualMachineScaleSet } from '@azure/arm-compute';
import type { LoadBalancer, NetworkSecurityGroup, PublicIPAddress, VirtualNetwork } from '@azure/arm-network';
import {
  NAT_FRONTEND_PORT_START,
  SUBNET_CIDR,
  VNET_CIDR,
  type AzureIds,
  type AzureNames,
} from './azure-names.ts';

/**
 * The request bodies of what `up` creates, as pure functions of the cluster's settings, so the
 * properties that matter (SSH only from the allowed sources, NAT over the backend pool, one
 * placement group for InfiniBand, no overprovisioning) are checked without a cloud.
 */

/** Everything the bodies depend on. */
export interface ClusterSpec {
  location: string;
  /** Resource tags: created-by, cluster id and name, channel, owner. */
  tags: Record<string, string>;
  /** CIDRs the NSG lets reach SSH. */
  sshSources: readonly string[];
  /** Highest node count this cluster may reach: the NAT rule's port range must cover it. */
  maxNodes: number;
  vmSize: string;
  nodeCount: number;
  image: { publisher: string; offer: string; sku: string; version: string };
  adminUsername: string;
  /** The bot's public key: the admin user's only key. */
  botPublicKey: string;
  /** cloud-init, already base64. */
  customDataBase64: string;
  /** Node computer names start with this (the cluster's name). */
  computerNamePrefix: string;
  spot: { maxPricePerHour: number } | null;
}

export function vnetBody(spec: ClusterSpec, names: AzureNames): VirtualNetwork {
  return {
    location: spec.location,
    tags: spec.tags,
    addressSpace: { addressPrefixes: [VNET_CIDR] },
    subnets: [{ name: names.subnet, addressPrefix: SUBNET_CIDR }],
  };
}

/** SSH from the allowed sources only; everything else inbound keeps Azure's default deny. */
export function nsgBody(spec: ClusterSpec): NetworkSecurityGroup {
  return {
    location: spec.location,
    tags: spec.tags,
    securityRules: [
      {
        name: 'ssh-from-allowed-sources',
        protocol: 'Tcp',
        direction: 'Inbound',
        access: 'Allow',
        priority: 100,
        sourceAddressPrefixes: [...spec.sshSources],
        sourcePortRange: '*',
        destinationAddressPrefix: '*',
        destinationPortRange: '22',
      },
    ],
  };
}

/** Standard SKU, static: the load balancer's frontend and the nodes' way out. */
export function publicIpBody(spec: ClusterSpec): PublicIPAddress {
  return {
    location: spec.location,
    tags: spec.tags,
    sku: { name: 'Standard', tier: 'Regional' },
    publicIPAllocationMethod: 'Static',
    publicIPAddressVersion: 'IPv4',
  };
}

/**
 * Standard load balancer: one frontend on the public IP, the nodes' backend pool, an inbound
 * NAT rule over that pool (each node gets its own frontend port from the range, backend port
 * 22) and an outbound rule so the nodes reach package mirrors.
 */
export function loadBalancerBody(spec: ClusterSpec, names: AzureNames, ids: AzureIds): LoadBalancer {
  return {
    location: spec.location,
    tags: spec.tags,
    sku: { name: 'Standard', tier: 'Regional' },
    frontendIPConfigurations: [{ name: names.frontend, publicIPAddress: { id: ids.publicIp } }],
    backendAddressPools: [{ name: names.backendPool }],
    inboundNatRules: [
      {
        name: names.natRule,
        frontendIPConfiguration: { id: ids.frontend },
        backendAddressPool: { id: ids.backendPool },
        protocol: 'Tcp',
        frontendPortRangeStart: NAT_FRONTEND_PORT_START,
        frontendPortRangeEnd: NAT_FRONTEND_PORT_START + Math.max(spec.maxNodes, 1) - 1,
        backendPort: 22,
        idleTimeoutInMinutes: 30,
        enableTcpReset: true,
      },
    ],
    outboundRules: [
      {
        name: names.outboundRule,
        protocol: 'All',
        frontendIPConfigurations: [{ id: ids.frontend }],
        backendAddressPool: { id: ids.backendPool },
        allocatedOutboundPorts: 1024,
      },
    ],
  };
}

/**
 * A Uniform scale set: one placement group (InfiniBand spans only one), no overprovisioning
 * (extra VMs would join MPI), the newest VMs removed first on scale-in (node 0 stays), and
 * Spot with eviction by deallocation when asked.
 */
export function scaleSetBody(spec: ClusterSpec, names: AzureNames, ids: AzureIds): VirtualMachineScaleSet {
  return {
    location: spec.location,
    tags: spec.tags,
    sku: { name: spec.vmSize, tier: 'Standard', capacity: spec.nodeCount },
    orchestrationMode: 'Uniform',
    singlePlacementGroup: true,
    overprovision: false,
    upgradePolicy: { mode: 'Manual' },
    scaleInPolicy: { rules: ['NewestVM'] },
    virtualMachineProfile: {
      osProfile: {
        computerNamePrefix: spec.computerNamePrefix,
        adminUsername: spec.adminUsername,
        customData: spec.customDataBase64,
        linuxConfiguration: {
          disablePasswordAuthentication: true,
          ssh: {
            publicKeys: [
              { path: `/home/${spec.adminUsername}/.ssh/authorized_keys`, keyData: spec.botPublicKey },
            ],
          },
        },
      },
      storageProfile: {
        imageReference: { ...spec.image },
        osDisk: {
          createOption: 'FromImage',
          caching: 'ReadWrite',
          managedDisk: { storageAccountType: 'Premium_LRS' },
        },
      },
      networkProfile: {
        networkInterfaceConfigurations: [
          {
            name: 'nic',
            primary: true,
            enableAcceleratedNetworking: true,
            networkSecurityGroup: { id: ids.nsg },
            ipConfigurations: [
              {
                name: 'ipconfig',
                primary: true,
                subnet: { id: ids.subnet },
                loadBalancerBackendAddressPools: [{ id: ids.backendPool }],
              },
            ],
          },
        ],
      },
      ...(spec.spot
        ? {
            priority: 'Spot',
            evictionPolicy: 'Deallocate',
            billingProfile: { maxPrice: spec.spot.maxPricePerHour },
          }
        : { priority: 'Regular' }),
    },
  };
}
