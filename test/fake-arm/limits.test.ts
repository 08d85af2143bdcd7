import { request } from 'node:https';
import { RestError } from '@azure/core-rest-pipeline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clusterModels } from './fixtures.ts';
import {
  FAST_POLL,
  fakeArmClients,
  fakeTokenCredential,
  MAX_CUSTOM_DATA_BASE64_CHARS,
  RESERVED_ADMIN_USERNAMES,
  startFakeArm,
  type FakeArm,
} from './index.ts';

type Clients = ReturnType<typeof fakeArmClients>;

function https(
  fake: FakeArm,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(`${fake.url}${path}`, { method: 'GET', ca: fake.certPem, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

async function rejection(promise: Promise<unknown>): Promise<RestError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RestError) return error;
    throw error;
  }
  throw new Error('expected a RestError');
}

async function network(fake: FakeArm, clients: Clients, group: string) {
  const models = clusterModels(fake.subscriptionId, group);
  await clients.resources.resourceGroups.createOrUpdate(group, models.group);
  await clients.network.virtualNetworks.beginCreateOrUpdateAndWait(
    group,
    'vnet',
    models.virtualNetwork,
    FAST_POLL,
  );
  await clients.network.networkSecurityGroups.beginCreateOrUpdateAndWait(
    group,
    'nsg',
    models.networkSecurityGroup,
    FAST_POLL,
  );
  await clients.network.publicIPAddresses.beginCreateOrUpdateAndWait(
    group,
    'pip',
    models.publicIp,
    FAST_POLL,
  );
  await clients.network.loadBalancers.beginCreateOrUpdateAndWait(group, 'lb', models.loadBalancer, FAST_POLL);
  return models;
}

describe('fake ARM enforces what Azure enforces', () => {
  let fake: FakeArm;
  let clients: Clients;

  beforeEach(async () => {
    fake = await startFakeArm();
    clients = fakeArmClients(fake);
  });

  afterEach(async () => {
    await fake.close();
  });

  it('refuses a request without api-version, with ARM error shape', async () => {
    const path = `/subscriptions/${fake.subscriptionId}/resourcegroups`;

    const answer = await https(fake, path, { authorization: `Bearer ${fake.token}` });

    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: { code: 'MissingApiVersionParameter', message: expect.stringContaining('api-version') },
    });
  });

  it('refuses a missing or wrong bearer token', async () => {
    const path = `/subscriptions/${fake.subscriptionId}/resourcegroups?api-version=2025-04-01`;
    const wrong = fakeArmClients(fake, fakeTokenCredential('not-the-token'));

    const missing = await https(fake, path, {});
    const error = await rejection(wrong.resources.resourceGroups.get('g'));

    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({ error: { code: 'AuthenticationFailed' } });
    expect(error).toMatchObject({ statusCode: 401, code: 'InvalidAuthenticationToken' });
  });

  it('answers 404 for missing groups, resources and subscriptions', async () => {
    await clients.resources.resourceGroups.createOrUpdate('g', { location: 'eastus' });
    const other = fakeArmClients({ ...fake, subscriptionId: '11111111-1111-1111-1111-111111111111' });

    const noGroup = await rejection(clients.resources.resourceGroups.get('nope'));
    const noVnet = await rejection(clients.network.virtualNetworks.get('g', 'nope'));
    const vnetInNoGroup = await rejection(clients.network.virtualNetworks.get('nope', 'vnet'));
    const putIntoNoGroup = await rejection(
      clients.network.publicIPAddresses.beginCreateOrUpdateAndWait(
        'nope',
        'pip',
        { location: 'eastus' },
        FAST_POLL,
      ),
    );
    const noScaleSet = await rejection(clients.compute.virtualMachineScaleSets.get('g', 'nope'));
    const noSubscription = await rejection(other.resources.resourceGroups.get('g'));

    expect(noGroup).toMatchObject({ statusCode: 404, code: 'ResourceGroupNotFound' });
    expect(noVnet).toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
    expect(vnetInNoGroup).toMatchObject({ statusCode: 404, code: 'ResourceGroupNotFound' });
    expect(putIntoNoGroup).toMatchObject({ statusCode: 404, code: 'ResourceGroupNotFound' });
    expect(noScaleSet).toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
    expect(noSubscription).toMatchObject({ statusCode: 404, code: 'SubscriptionNotFound' });
    await expect(
      clients.network.virtualNetworks.beginDeleteAndWait('g', 'nope', FAST_POLL),
    ).resolves.toBeUndefined();
  });

  it('refuses every reserved admin user name, whatever its case', async () => {
    const models = await network(fake, clients, 'g');

    const names = [...RESERVED_ADMIN_USERNAMES, 'Admin', 'ROOT'];
    const errors = await Promise.all(
      names.map((adminUsername) =>
        rejection(
          clients.compute.virtualMachineScaleSets.beginCreateOrUpdateAndWait(
            'g',
            'vmss',
            models.scaleSet(1, { adminUsername }),
            FAST_POLL,
          ),
        ),
      ),
    );

    expect(RESERVED_ADMIN_USERNAMES).toHaveLength(32);
    for (const error of errors) {
      expect(error).toMatchObject({ statusCode: 400, code: 'InvalidParameter' });
      expect(error.message).toBe('The Admin Username specified is not allowed.');
    }
    expect(fake.resourceIds().some((id) => id.includes('virtualMachineScaleSets'))).toBe(false);
  });

  it('takes custom data up to 64 KB decoded and refuses one byte more', async () => {
    const models = await network(fake, clients, 'g');
    const fits = Buffer.alloc(65_535, 'a').toString('base64');
    const tooBig = Buffer.alloc(65_536, 'a').toString('base64');

    const error = await rejection(
      clients.compute.virtualMachineScaleSets.beginCreateOrUpdateAndWait(
        'g',
        'big',
        models.scaleSet(1, { customData: tooBig }),
        FAST_POLL,
      ),
    );
    const created = await clients.compute.virtualMachineScaleSets.beginCreateOrUpdateAndWait(
      'g',
      'fits',
      models.scaleSet(1, { customData: fits }),
      FAST_POLL,
    );

    expect(fits).toHaveLength(MAX_CUSTOM_DATA_BASE64_CHARS);
    expect(error).toMatchObject({ statusCode: 400, code: 'InvalidParameter' });
    expect(error.message).toMatch(/Custom data .* maximum length of 87380/);
    expect(created.provisioningState).toBe('Succeeded');
  });

  it('refuses capacity beyond the family quota with the numbers, on create, resize and start', async () => {
    const models = await network(fake, clients, 'g');
    fake.setQuota('standardHBrsv3Family', 240);

    const onCreate = await rejection(
      clients.compute.virtualMachineScaleSets.beginCreateOrUpdateAndWait(
        'g',
        'vmss',
        models.scaleSet(3),
        FAST_POLL,
      ),
    );
    await clients.compute.virtualMachineScaleSets.beginCreateOrUpdateAndWait(
      'g',
      'vmss',
      models.scaleSet(2),
      FAST_POLL,
    );
    const onResize = await rejection(
      clients.compute.virtualMachineScaleSets.beginUpdateAndWait(
        'g',
        'vmss',
        { sku: { capacity: 3 } },
        FAST_POLL,
      ),
    );
    const usages = [];
    for await (const usage of clients.compute.usage.list('eastus')) usages.push(usage);
    await clients.compute.virtualMachineScaleSets.beginDeallocateAndWait('g', 'vmss', FAST_POLL);
    await clients.compute.virtualMachineScaleSets.beginCreateOrUpdateAndWait(
      'g',
      'other',
      models.scaleSet(1),
      FAST_POLL,
    );
    const onStart = await rejection(
      clients.compute.virtualMachineScaleSets.beginStartAndWait('g', 'vmss', FAST_POLL),
    );

    expect(onCreate).toMatchObject({ statusCode: 409, code: 'OperationNotAllowed' });
    expect(onCreate.message).toContain(
      'exceeding approved standardHBrsv3Family Cores quota. Additional details - Deployment Model: Resource Manager, Location: eastus, Current Limit: 240, Current Usage: 0, Additional Required: 360',
    );
    expect(onResize.message).toContain('Current Limit: 240, Current Usage: 240, Additional Required: 120');
    expect(usages.find((usage) => usage.name.value === 'standardHBrsv3Family')).toMatchObject({
      currentValue: 240,
      limit: 240,
      unit: 'Count',
    });
    expect(onStart.message).toContain('Current Usage: 120, Additional Required: 240');
  });

  it('refuses regional vCPUs beyond the total', async () => {
    const models = await network(fake, clients, 'g');
    fake.setQuota('cores', 100);

    const error = await rejection(
      clients.compute.virtualMachineScaleSets.beginCreateOrUpdateAndWait(
        'g',
        'vmss',
        models.scaleSet(1),
        FAST_POLL,
      ),
    );

    expect(error.message).toContain('exceeding approved Total Regional Cores quota');
  });

  it('refuses references to missing resources and deleting what is in use', async () => {
    const models = await network(fake, clients, 'g');
    const broken = models.scaleSet(1);
    const ipConfig =
      broken.virtualMachineProfile?.networkProfile?.networkInterfaceConfigurations?.[0]
        ?.ipConfigurations?.[0];
    if (!ipConfig?.subnet) throw new Error('fixture has no subnet');
    ipConfig.subnet = { id: `${ipConfig.subnet.id}-missing` };

    const badRef = await rejection(
      clients.compute.virtualMachineScaleSets.beginCreateOrUpdateAndWait('g', 'vmss', broken, FAST_POLL),
    );
    const pipInUse = await rejection(
      clients.network.publicIPAddresses.beginDeleteAndWait('g', 'pip', FAST_POLL),
    );
    await clients.compute.virtualMachineScaleSets.beginCreateOrUpdateAndWait(
      'g',
      'vmss',
      models.scaleSet(1),
      FAST_POLL,
    );
    const lbInUse = await rejection(clients.network.loadBalancers.beginDeleteAndWait('g', 'lb', FAST_POLL));

    expect(badRef).toMatchObject({ statusCode: 400, code: 'InvalidResourceReference' });
    expect(pipInUse).toMatchObject({ statusCode: 400, code: 'PublicIPAddressCannotBeDeleted' });
    expect(lbInUse).toMatchObject({ statusCode: 400, code: 'LoadBalancerInUseByVirtualMachineScaleSet' });
  });

  it('refuses SSH keys outside the admin user home and a bad NAT port range', async () => {
    const models = await network(fake, clients, 'g');
    const wrongPath = models.scaleSet(1);
    wrongPath.virtualMachineProfile!.osProfile!.linuxConfiguration!.ssh!.publicKeys![0]!.path =
      '/root/.ssh/authorized_keys';
    const badRange = structuredClone(models.loadBalancer);
    badRange.inboundNatRules![0]!.frontendPortRangeEnd = 49000;

    const keyError = await rejection(
      clients.compute.virtualMachineScaleSets.beginCreateOrUpdateAndWait('g', 'vmss', wrongPath, FAST_POLL),
    );
    const rangeError = await rejection(
      clients.network.loadBalancers.beginCreateOrUpdateAndWait('g', 'lb', badRange, FAST_POLL),
    );

    expect(keyError).toMatchObject({ statusCode: 400, code: 'InvalidParameter' });
    expect(keyError.message).toMatch(/^Destination path for SSH public keys is currently limited/);
    expect(rangeError).toMatchObject({ statusCode: 400, code: 'InvalidInboundNatRuleFrontendPortRange' });
  });
});
