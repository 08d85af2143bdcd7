import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { example, sendRaw, shapeGaps, type ArmExample } from './fixtures.ts';
import { FAST_POLL, fakeArmClients, startFakeArm, type FakeArm } from './index.ts';

/**
 * Shape parity with Microsoft's published examples (shared/specs/azure): each example request
 * goes unchanged (placeholders filled) through a real SDK client's pipeline; the fake's status
 * must be one the example lists, and every key path of the example's body must exist in the
 * fake's answer with the same JSON type. Values are not compared (the *_Gen files hold
 * placeholders). Paths the fake leaves out on purpose are listed beside each case.
 */
describe('fake ARM answers with the shapes of the published examples', () => {
  let fake: FakeArm;
  let clients: ReturnType<typeof fakeArmClients>;
  let replace: Record<string, string>;
  const base = (sub: string) => `/subscriptions/${sub}/resourceGroups/rg1/providers`;

  beforeAll(async () => {
    fake = await startFakeArm({ inProgressPolls: 0 });
    clients = fakeArmClients(fake);
    const sub = fake.subscriptionId;
    replace = {
      subid: sub,
      '{subscription-id}': sub,
      myResourceGroup: 'rg1',
      rgcompute: 'rg1',
      'my-resource-group': 'rg1',
      '{vmss-name}': 'vmss1',
      '{your-username}': 'azureuser',
      '{existing-virtual-network-name}': 'vnet1',
      '{existing-subnet-name}': 'default',
    };
    await clients.resources.resourceGroups.createOrUpdate('rg1', { location: 'westus' });
    await clients.network.virtualNetworks.beginCreateOrUpdateAndWait(
      'rg1',
      'vnet1',
      {
        location: 'westus',
        addressSpace: { addressPrefixes: ['10.0.0.0/16'] },
        subnets: [{ name: 'default', addressPrefix: '10.0.0.0/24' }],
      },
      FAST_POLL,
    );
  });

  afterAll(async () => {
    await fake.close();
  });

  function expectParity(ex: ArmExample, answer: { status: number; body: unknown }, ignored: string[] = []) {
    expect(Object.keys(ex.responses)).toContain(String(answer.status));
    const expected = ex.responses[String(answer.status)]?.body;
    const gaps = shapeGaps(expected ?? {}, answer.body ?? {}).filter(
      (gap) => !ignored.some((prefix) => gap.startsWith(prefix)),
    );
    expect(gaps).toEqual([]);
  }

  it('resource groups: create and force delete', async () => {
    const create = example('resources/CreateResourceGroup.json', replace);
    const del = example('resources/ForceDeleteVMsAndVMSSInResourceGroup.json', replace);

    const created = await sendRaw(
      clients.resources,
      fake,
      'PUT',
      `/subscriptions/${fake.subscriptionId}/resourcegroups/scratch?api-version=2025-04-01`,
      create.parameters.parameters,
    );
    const deleted = await sendRaw(
      clients.resources,
      fake,
      'DELETE',
      `/subscriptions/${fake.subscriptionId}/resourcegroups/scratch?forceDeletionTypes=${encodeURIComponent(String(del.parameters.forceDeletionTypes))}&api-version=2025-03-01`,
    );

    expectParity(create, created);
    expect(Object.keys(del.responses)).toContain(String(deleted.status));
    expect(Object.keys(deleted.headers)).toEqual(expect.arrayContaining(['location', 'retry-after']));
  });

  it.each([
    ['network/VirtualNetworkCreate.json', 'virtualNetworks/test-vnet', []],
    ['network/NetworkSecurityGroupCreate.json', 'networkSecurityGroups/testnsg', []],
    [
      'network/PublicIpAddressCreateDefaults.json',
      'publicIPAddresses/defaults-ip',
      ['properties.ipConfiguration'],
    ],
    // ipConfiguration appears only once a NIC uses the address.
    [
      'network/PublicIpAddressCreateCustomizedValues.json',
      'publicIPAddresses/test-ip',
      ['properties.ipConfiguration'],
    ],
  ])('%s', async (file, path, ignored) => {
    const ex = example(file, replace);
    const body = {
      ...ex.parameters.parameters,
      ...(ex.parameters.zones ? { zones: ex.parameters.zones } : {}),
    };

    const answer = await sendRaw(
      clients.network,
      fake,
      'PUT',
      `${base(fake.subscriptionId)}/Microsoft.Network/${path}?api-version=2025-03-01`,
      body,
    );
    await fake.settle();
    const after = await sendRaw(
      clients.network,
      fake,
      'GET',
      `${base(fake.subscriptionId)}/Microsoft.Network/${path}?api-version=2025-03-01`,
    );

    expect(answer.headers['azure-asyncoperation']).toMatch(
      /\/providers\/Microsoft\.Network\/locations\/[^/]+\/operations\//,
    );
    expectParity(ex, { status: answer.status, body: after.body }, ignored);
  });

  it('load balancers: Standard SKU and inbound NAT pool examples are accepted unchanged', async () => {
    for (const [file, vnet, subnet] of [
      ['network/LoadBalancerCreateStandardSku.json', 'vnetlb', 'subnetlb'],
      ['network/LoadBalancerCreateWithInboundNatPool.json', 'lbvnet', 'lbsubnet'],
    ] as const) {
      const ex = example(file, replace);
      await clients.network.virtualNetworks.beginCreateOrUpdateAndWait(
        'rg1',
        vnet,
        {
          location: 'eastus',
          addressSpace: { addressPrefixes: ['10.0.0.0/16'] },
          subnets: [{ name: subnet, addressPrefix: '10.0.1.0/24' }],
        },
        FAST_POLL,
      );

      const answer = await sendRaw(
        clients.network,
        fake,
        'PUT',
        `${base(fake.subscriptionId)}/Microsoft.Network/loadBalancers/lb?api-version=2024-07-01`,
        ex.parameters.parameters,
      );
      await fake.settle();
      const after = await sendRaw(
        clients.network,
        fake,
        'GET',
        `${base(fake.subscriptionId)}/Microsoft.Network/loadBalancers/lb?api-version=2024-07-01`,
      );
      // Back-references Azure computes (rules listed on frontends, pools and probes) and the
      // frontend's private IP are not modelled.
      expectParity(ex, { status: answer.status === 200 ? 200 : 201, body: after.body }, [
        'properties.frontendIPConfigurations[0].properties.privateIPAddress',
        'properties.frontendIPConfigurations[0].properties.privateIPAllocationMethod',
        'properties.frontendIPConfigurations[0].properties.loadBalancingRules',
        'properties.frontendIPConfigurations[0].properties.inboundNatRules',
        'properties.frontendIPConfigurations[0].properties.inboundNatPools',
        'properties.backendAddressPools[0].properties.loadBalancingRules',
        'properties.probes[0].properties.loadBalancingRules',
      ]);
      await clients.network.loadBalancers.beginDeleteAndWait('rg1', 'lb', FAST_POLL);
    }
  });

  it('scale sets: create with SSH, PATCH, GET with userData, VM list, NICs, deallocate, delete instances, force delete', async () => {
    const create = example('compute/VirtualMachineScaleSet_Create_WithSshAuthentication.json', replace);
    const vmss = `${base(fake.subscriptionId)}/Microsoft.Compute/virtualMachineScaleSets/vmss1`;
    const v = 'api-version=2025-04-01';

    const created = await sendRaw(clients.compute, fake, 'PUT', `${vmss}?${v}`, create.parameters.parameters);
    await fake.settle();
    const patched = await sendRaw(clients.compute, fake, 'PATCH', `${vmss}?${v}`, {});
    await fake.settle();
    const got = await sendRaw(clients.compute, fake, 'GET', `${vmss}?$expand=userData&${v}`);
    const vms = await sendRaw(
      clients.compute,
      fake,
      'GET',
      `${vmss}/virtualMachines?$expand=instanceView&${v}`,
    );
    const nics = await sendRaw(
      clients.network,
      fake,
      'GET',
      `${vmss}/networkInterfaces?api-version=2018-10-01`,
    );
    const deallocated = await sendRaw(clients.compute, fake, 'POST', `${vmss}/deallocate?${v}`);
    // The example's instance ids are placeholders; the shape is kept, the ids are real ones.
    const firstId = (vms.body as { value: { instanceId: string }[] }).value[0]?.instanceId;
    const removed = await sendRaw(clients.compute, fake, 'POST', `${vmss}/delete?${v}`, {
      ...(example('compute/VirtualMachineScaleSet_DeleteInstances_MinimumSet_Gen.json').parameters
        .vmInstanceIDs as object),
      instanceIds: [firstId],
    });
    const deleted = await sendRaw(clients.compute, fake, 'DELETE', `${vmss}?forceDeletion=true&${v}`);

    expectParity(create, created, ['properties.virtualMachineProfile.osProfile.secrets']);
    expect(created.headers['azure-asyncoperation']).toMatch(
      /Microsoft\.Compute\/locations\/westus\/operations\//,
    );
    expectParity(example('compute/VirtualMachineScaleSet_Update_MinimumSet_Gen.json'), patched);
    const withUserData = example('compute/VirtualMachineScaleSet_Get_WithUserData.json', replace);
    // The GET example's model has fields the SSH create example never sent (extensions, userData…).
    expect(Object.keys(withUserData.responses)).toContain(String(got.status));
    expect(
      shapeGaps(
        {
          sku: {},
          properties: {
            provisioningState: '',
            uniqueId: '',
            upgradePolicy: {},
            virtualMachineProfile: { osProfile: { adminUsername: '' } },
          },
        },
        got.body,
      ),
    ).toEqual([]);
    const listMax = example('compute/VirtualMachineScaleSetVM_List_MaximumSet_Gen.json');
    const vm = (listMax.responses['200']?.body as { value: Record<string, unknown>[] }).value[0] ?? {};
    const props = vm.properties as Record<string, unknown>;
    const used = {
      value: [
        {
          name: vm.name,
          id: vm.id,
          type: vm.type,
          location: vm.location,
          instanceId: vm.instanceId,
          properties: {
            provisioningState: props.provisioningState,
            osProfile: { computerName: '', adminUsername: '' },
            networkProfile: props.networkProfile && {
              networkInterfaces: [{ id: '', properties: { primary: true } }],
            },
            instanceView: { statuses: [{ code: '', level: 'Info', displayStatus: '' }] },
          },
        },
      ],
    };
    expect(shapeGaps(used, vms.body)).toEqual([]);
    expectParity(example('compute/VirtualMachineScaleSetVM_List_MinimumSet_Gen.json'), vms);
    // The example NICs carry per-VM public IPs the SSH create example did not ask for.
    expectParity(example('network/VmssNetworkInterfaceList.json'), nics, [
      'value[0].properties.ipConfigurations[0].properties.publicIPAddress',
      'value[0].properties.ipConfigurations[0].properties.loadBalancerBackendAddressPools[0]',
      'value[0].properties.ipConfigurations[0].properties.loadBalancerInboundNatRules[0]',
      'value[0].properties.dnsSettings.internalDomainNameSuffix',
      'value[0].properties.networkSecurityGroup',
    ]);
    expectParity(example('compute/VirtualMachineScaleSet_Deallocate_MinimumSet_Gen.json'), deallocated);
    expect(deallocated.headers.location).toBeDefined();
    expectParity(example('compute/VirtualMachineScaleSet_DeleteInstances_MinimumSet_Gen.json'), removed);
    expectParity(example('compute/VirtualMachineScaleSet_Delete_Force.json'), deleted);
    // overprovision defaults to true: Azure's extra VMs leave gaps in the instance ids.
    expect((vms.body as { value: { instanceId: string }[] }).value.map((one) => one.instanceId)).toEqual([
      '1',
      '3',
      '5',
    ]);
  });

  // The port-mapping query example is checked in lifecycle.test.ts, against a real backend pool.
  it('compute usages', async () => {
    const usages = await sendRaw(
      clients.compute,
      fake,
      'GET',
      `/subscriptions/${fake.subscriptionId}/providers/Microsoft.Compute/locations/westus/usages?api-version=2024-07-01`,
    );

    // nextLink appears only when there is a next page.
    expectParity(example('compute/Usage_List_MaximumSet_Gen.json'), usages, ['nextLink']);
  });
});
