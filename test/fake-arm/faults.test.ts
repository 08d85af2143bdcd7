import { RestError } from '@azure/core-rest-pipeline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clusterModels } from './fixtures.ts';
import {
  FAST_POLL,
  fakeArmClients,
  InMemoryMachineHost,
  startFakeArm,
  type FakeArm,
  type MachineSpec,
} from './index.ts';

type Clients = ReturnType<typeof fakeArmClients>;

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

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('fake ARM faults', () => {
  let fake: FakeArm;
  let clients: Clients;

  beforeEach(async () => {
    fake = await startFakeArm();
    clients = fakeArmClients(fake);
    await clients.resources.resourceGroups.createOrUpdate('g', { location: 'eastus' });
  });

  afterEach(async () => {
    await fake.close();
  });

  it('429 with Retry-After: the SDK waits and retries', async () => {
    fake.failRequest({ method: 'GET', path: '/resourcegroups/g', status: 429, retryAfterInSeconds: 1 });
    const startedAtMs = Date.now();

    const group = await clients.resources.resourceGroups.get('g');

    expect(group.name).toBe('g');
    expect(Date.now() - startedAtMs).toBeGreaterThanOrEqual(900);
    const gets = fake.requests.filter((r) => r.method === 'GET');
    expect(gets.map((r) => [r.status, r.injected, r.errorCode])).toEqual([
      [429, true, 'SubscriptionRequestsThrottled'],
      [200, false, undefined],
    ]);
  });

  it('429 without Retry-After: the SDK does not retry, the caller gets a RestError', async () => {
    fake.failRequest({ method: 'GET', path: '/resourcegroups/g', status: 429 });

    const error = await rejection(clients.resources.resourceGroups.get('g'));

    expect(error).toBeInstanceOf(RestError);
    expect(error).toMatchObject({ statusCode: 429, code: 'SubscriptionRequestsThrottled' });
    expect(fake.count({ method: 'GET' })).toBe(1);
  });

  it('500 and 503: the SDK retries with its exponential policy', async () => {
    fake.failRequest({ method: 'GET', path: '/resourcegroups/g', status: 500 });
    fake.failRequest({ method: 'GET', path: '/resourcegroups/g', status: 503 });

    const group = await clients.resources.resourceGroups.get('g');

    expect(group.name).toBe('g');
    expect(fake.requests.filter((r) => r.method === 'GET').map((r) => r.status)).toEqual([500, 503, 200]);
  });

  it('500 beyond the retry budget surfaces with its code', async () => {
    fake.failRequest({ method: 'GET', path: '/resourcegroups/g', status: 500, times: 10 });

    const error = await rejection(clients.resources.resourceGroups.get('g'));

    expect(error).toMatchObject({ statusCode: 500, code: 'InternalServerError' });
    expect(fake.count({ method: 'GET' })).toBe(4);
  });

  it('an operation that ends Failed midway: the poller rejects with the code, the resource is left Failed', async () => {
    const models = await network(fake, clients, 'g');
    fake.failOperation({
      method: 'PUT',
      path: 'virtualMachineScaleSets/vmss',
      code: 'AllocationFailed',
      message:
        'Allocation failed. We do not have sufficient capacity for the requested VM size in this region.',
      afterPolls: 2,
    });

    const error = await rejection(
      clients.compute.virtualMachineScaleSets.beginCreateOrUpdateAndWait(
        'g',
        'vmss',
        models.scaleSet(2),
        FAST_POLL,
      ),
    );

    // core-lro turns a Failed status into a plain Error "…has failed. <code>. <message>".
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/has failed\. AllocationFailed\. Allocation failed\./);
    const polls = fake.requests.filter((r) =>
      r.path.includes('/Microsoft.Compute/locations/eastus/operations/'),
    );
    expect(polls).toHaveLength(3);
    const vmss = await clients.compute.virtualMachineScaleSets.get('g', 'vmss');
    expect(vmss.provisioningState).toBe('Failed');
    expect(fake.machineHost).toBeInstanceOf(InMemoryMachineHost);
    expect((fake.machineHost as InMemoryMachineHost).running()).toHaveLength(0);
  });

  it('a Location-polled operation that fails surfaces as a RestError with the code', async () => {
    fake.failOperation({
      method: 'DELETE',
      path: '/resourcegroups/g',
      code: 'Conflict',
      message: 'Deletion blocked.',
    });

    const error = await rejection(clients.resources.resourceGroups.beginDeleteAndWait('g', FAST_POLL));

    expect(error).toBeInstanceOf(RestError);
    expect(error).toMatchObject({ statusCode: 409, code: 'Conflict' });
    expect(await clients.resources.resourceGroups.checkExistence('g')).toEqual({ body: true });
  });

  it('a MachineHost that cannot start a machine fails the operation like a provisioning error', async () => {
    const host = new InMemoryMachineHost();
    const failing = Object.assign(Object.create(host) as InMemoryMachineHost, {
      start: async (spec: MachineSpec) => {
        if (spec.instanceId === '1') throw new Error('sshd did not come up');
        return host.start(spec);
      },
    });
    await fake.close();
    fake = await startFakeArm({ machineHost: failing });
    clients = fakeArmClients(fake);
    await clients.resources.resourceGroups.createOrUpdate('g', { location: 'eastus' });
    const models = await network(fake, clients, 'g');

    const error = await rejection(
      clients.compute.virtualMachineScaleSets.beginCreateOrUpdateAndWait(
        'g',
        'vmss',
        models.scaleSet(2),
        FAST_POLL,
      ),
    );

    expect((error as Error).message).toMatch(/OSProvisioningClientError\. .*sshd did not come up/);
    expect(fake.instances('g', 'vmss').map((instance) => instance.powerState)).toEqual([
      'running',
      'starting',
    ]);
  });
});
