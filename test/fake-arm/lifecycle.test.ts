import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clusterModels, example, sendRaw, shapeGaps } from './fixtures.ts';
import { FAST_POLL, fakeArmClients, InMemoryMachineHost, startFakeArm, type FakeArm } from './index.ts';

type Clients = ReturnType<typeof fakeArmClients>;

async function createCluster(fake: FakeArm, clients: Clients, group: string, capacity: number) {
  const models = clusterModels(fake.subscriptionId, group);
  await clients.resources.resourceGroups.createOrUpdate(group, models.group);
  await Promise.all([
    clients.network.virtualNetworks.beginCreateOrUpdateAndWait(
      group,
      'vnet',
      models.virtualNetwork,
      FAST_POLL,
    ),
    clients.network.networkSecurityGroups.beginCreateOrUpdateAndWait(
      group,
      'nsg',
      models.networkSecurityGroup,
      FAST_POLL,
    ),
    clients.network.publicIPAddresses.beginCreateOrUpdateAndWait(group, 'pip', models.publicIp, FAST_POLL),
  ]);
  const lb = await clients.network.loadBalancers.beginCreateOrUpdateAndWait(
    group,
    'lb',
    models.loadBalancer,
    FAST_POLL,
  );
  const vmss = await clients.compute.virtualMachineScaleSets.beginCreateOrUpdateAndWait(
    group,
    'vmss',
    models.scaleSet(capacity),
    FAST_POLL,
  );
  return { models, lb, vmss };
}

async function all<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of pages) items.push(item);
  return items;
}

async function portMap(clients: Clients, group: string, ips: string[]): Promise<Map<string, number>> {
  const entries = await Promise.all(
    ips.map(async (ipAddress) => {
      const result = await clients.network.loadBalancers.beginListInboundNatRulePortMappingsAndWait(
        group,
        'lb',
        'nodes',
        { ipAddress },
        FAST_POLL,
      );
      return [ipAddress, result.inboundNatRulePortMappings?.[0]?.frontendPort ?? -1] as const;
    }),
  );
  return new Map(entries);
}

async function privateIps(clients: Clients, group: string): Promise<string[]> {
  const nics = await all(
    clients.network.networkInterfaces.listVirtualMachineScaleSetNetworkInterfaces(group, 'vmss'),
  );
  return nics.map((nic) => nic.ipConfigurations?.[0]?.privateIPAddress ?? '');
}

async function powerStates(clients: Clients, group: string): Promise<string[]> {
  const vms = await all(
    clients.compute.virtualMachineScaleSetVMs.list(group, 'vmss', { expand: 'instanceView' }),
  );
  return vms.map(
    (vm) => vm.instanceView?.statuses?.find((status) => status.code?.startsWith('PowerState/'))?.code ?? '',
  );
}

describe('fake ARM through the real SDK clients', () => {
  let fake: FakeArm;
  let host: InMemoryMachineHost;
  let clients: Clients;

  beforeEach(async () => {
    host = new InMemoryMachineHost();
    fake = await startFakeArm({ machineHost: host });
    clients = fakeArmClients(fake);
  });

  afterEach(async () => {
    await fake.close();
  });

  it('creates a cluster with long-running operations and reports ports, private IPs and power states', async () => {
    const { lb, vmss } = await createCluster(fake, clients, 'mpibox-c1', 3);

    expect(vmss.provisioningState).toBe('Succeeded');
    expect(vmss.sku?.capacity).toBe(3);
    expect(lb.provisioningState).toBe('Succeeded');
    expect(lb.inboundNatRules?.[0]?.backendAddressPool?.id).toMatch(/\/backendAddressPools\/nodes$/);
    const pip = await clients.network.publicIPAddresses.get('mpibox-c1', 'pip');
    expect(pip.ipAddress).toBe('127.0.0.1');
    const ips = await privateIps(clients, 'mpibox-c1');
    expect(ips).toEqual(['10.0.0.4', '10.0.0.5', '10.0.0.6']);
    const ports = await portMap(clients, 'mpibox-c1', ips);
    const hosted = new Map(host.running().map((machine) => [machine.spec.privateIp, machine.sshPort]));
    expect(ports).toEqual(hosted);
    expect(new Set(ports.values()).size).toBe(3);
    const query = example('network/QueryInboundNatRulePortMapping.json');
    const pool = `/subscriptions/${fake.subscriptionId}/resourceGroups/mpibox-c1/providers/Microsoft.Network/loadBalancers/lb/backendAddressPools/nodes`;
    const accepted = await sendRaw(
      clients.network,
      fake,
      'POST',
      `${pool}/queryInboundNatRulePortMapping?api-version=2025-03-01`,
      {
        ...query.parameters.parameters,
        ipAddress: '10.0.0.5',
      },
    );
    expect(accepted.status).toBe(202);
    const location = new URL(accepted.headers.location ?? '');
    let result = await sendRaw(clients.network, fake, 'GET', `${location.pathname}${location.search}`);
    while (result.status === 202) {
      result = await sendRaw(clients.network, fake, 'GET', `${location.pathname}${location.search}`);
    }
    expect(shapeGaps(query.responses['200']?.body, result.body)).toEqual([]);
    expect(result.body).toEqual({
      inboundNatRulePortMappings: [
        { inboundNatRuleName: 'ssh', protocol: 'Tcp', frontendPort: ports.get('10.0.0.5'), backendPort: 22 },
      ],
    });
    const vms = await all(clients.compute.virtualMachineScaleSetVMs.list('mpibox-c1', 'vmss'));
    expect(vms.map((vm) => vm.instanceId)).toEqual(['0', '1', '2']);
    expect(vms.map((vm) => vm.osProfile?.computerName)).toEqual(['node000000', 'node000001', 'node000002']);
    expect(await powerStates(clients, 'mpibox-c1')).toEqual(Array(3).fill('PowerState/running'));
    const spec = host.running()[0]?.spec;
    expect(spec?.adminUsername).toBe('mpiboxadmin');
    expect(spec?.customData).toBe('#cloud-config\n{}\n');
    expect(spec?.sshPublicKeys[0]).toMatch(/^ssh-ed25519 /);
    const got = await clients.compute.virtualMachineScaleSets.get('mpibox-c1', 'vmss');
    expect(got.virtualMachineProfile?.osProfile?.customData).toBeUndefined();
    expect(clients.credential).toHaveProperty(
      'scopesRequested',
      expect.arrayContaining(['https://management.azure.com/.default']),
    );
  });

  it('speaks the LRO protocol: 201 + Azure-AsyncOperation, polls InProgress, then a final GET', async () => {
    fake.setLro({ inProgressPolls: 2 });

    await createCluster(fake, clients, 'mpibox-c1', 1);

    const put = fake.requests.find(
      (r) => r.method === 'PUT' && /virtualMachineScaleSets\/vmss$/.test(r.path),
    );
    expect(put?.status).toBe(201);
    const polls = fake.requests.filter((r) =>
      /Microsoft\.Compute\/locations\/eastus\/operations\//.test(r.path),
    );
    expect(polls).toHaveLength(3);
    expect(fake.count({ method: 'GET', path: /virtualMachineScaleSets\/vmss$/ })).toBe(1);
    expect(fake.requests.every((r) => r.apiVersion !== null)).toBe(true);
  });

  it('resizes up and down, removing the highest instance ids, and deallocates and starts', async () => {
    const { models } = await createCluster(fake, clients, 'mpibox-c1', 2);

    const grown = await clients.compute.virtualMachineScaleSets.beginCreateOrUpdateAndWait(
      'mpibox-c1',
      'vmss',
      models.scaleSet(4),
      FAST_POLL,
    );
    expect(grown.sku?.capacity).toBe(4);
    expect(await privateIps(clients, 'mpibox-c1')).toEqual(['10.0.0.4', '10.0.0.5', '10.0.0.6', '10.0.0.7']);
    await clients.compute.virtualMachineScaleSets.beginUpdateAndWait(
      'mpibox-c1',
      'vmss',
      { sku: { capacity: 3 } },
      FAST_POLL,
    );
    const vms = await all(clients.compute.virtualMachineScaleSetVMs.list('mpibox-c1', 'vmss'));
    expect(vms.map((vm) => vm.instanceId)).toEqual(['0', '1', '2']);
    expect(host.running()).toHaveLength(3);

    await clients.compute.virtualMachineScaleSets.beginDeallocateAndWait('mpibox-c1', 'vmss', FAST_POLL);
    expect(await powerStates(clients, 'mpibox-c1')).toEqual(Array(3).fill('PowerState/deallocated'));
    expect(host.running()).toHaveLength(0);
    const view = await clients.compute.virtualMachineScaleSetVMs.getInstanceView('mpibox-c1', 'vmss', '1');
    expect(view.statuses?.map((status) => status.code)).toContain('PowerState/deallocated');

    const portsBefore = await portMap(clients, 'mpibox-c1', ['10.0.0.4']);
    await clients.compute.virtualMachineScaleSets.beginStartAndWait('mpibox-c1', 'vmss', FAST_POLL);
    expect(await powerStates(clients, 'mpibox-c1')).toEqual(Array(3).fill('PowerState/running'));
    expect(await portMap(clients, 'mpibox-c1', ['10.0.0.4'])).toEqual(portsBefore);

    await clients.compute.virtualMachineScaleSets.beginDeleteInstancesAndWait(
      'mpibox-c1',
      'vmss',
      { instanceIds: ['2'] },
      FAST_POLL,
    );
    const after = await clients.compute.virtualMachineScaleSets.get('mpibox-c1', 'vmss');
    expect(after.sku?.capacity).toBe(2);
    expect(fake.instances('mpibox-c1', 'vmss').map((instance) => instance.instanceId)).toEqual(['0', '1']);
  });

  it('lists groups by tag and deletes a group with everything in it', async () => {
    await createCluster(fake, clients, 'mpibox-c1', 2);
    await clients.resources.resourceGroups.createOrUpdate('other', {
      location: 'eastus',
      tags: { 'created-by': 'someone' },
    });

    const tagged = await all(
      clients.resources.resourceGroups.list({ filter: "tagName eq 'created-by' and tagValue eq 'mpibox'" }),
    );
    expect(tagged.map((group) => group.name)).toEqual(['mpibox-c1']);
    expect(tagged[0]?.tags).toEqual({ 'created-by': 'mpibox', cluster: 'c1' });
    expect(await clients.resources.resourceGroups.checkExistence('mpibox-c1')).toEqual({ body: true });

    await clients.resources.resourceGroups.beginDeleteAndWait('mpibox-c1', {
      forceDeletionTypes: 'Microsoft.Compute/virtualMachines,Microsoft.Compute/virtualMachineScaleSets',
      ...FAST_POLL,
    });

    expect(fake.resourceIds()).toEqual([
      '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/other',
    ]);
    expect(await clients.resources.resourceGroups.checkExistence('mpibox-c1')).toEqual({ body: false });
    expect(host.machines.size).toBe(0);
    const del = fake.requests.find((r) => r.method === 'DELETE');
    expect(del?.status).toBe(202);
  });

  it('settles pending operations without polls, as time passing would', async () => {
    const models = clusterModels(fake.subscriptionId, 'g');
    await clients.resources.resourceGroups.createOrUpdate('g', models.group);
    fake.setLro({ inProgressPolls: 100 });
    const poller = clients.network.virtualNetworks.createOrUpdate(
      'g',
      'vnet',
      models.virtualNetwork,
      FAST_POLL,
    );
    await poller.submitted();
    expect((await clients.network.virtualNetworks.get('g', 'vnet')).provisioningState).toBe('Updating');

    await fake.settle();

    expect((await clients.network.virtualNetworks.get('g', 'vnet')).provisioningState).toBe('Succeeded');
    await expect(poller.pollUntilDone()).resolves.toMatchObject({ provisioningState: 'Succeeded' });
  });
});
