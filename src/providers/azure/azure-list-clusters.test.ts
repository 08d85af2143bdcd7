import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_POLL, fakeTokenCredential, startFakeArm, type FakeArm } from '../../../test/fake-arm/index.ts';
import { makeTempDir } from '../../../test/support/local-fixtures.ts';
import { JsonLogger } from '../../adapters/system/json-logger.ts';
import { SystemClock } from '../../adapters/system/system-clock.ts';
import type { CreateClusterInput } from '../../ports/cloud-provider.ts';
import type { Shell } from '../../ports/shell.ts';
import { makeAzureClients } from './azure-clients.ts';
import { AzureProvider, type AzureClients } from './azure-provider.ts';
import { HostKeyPins } from './host-key-pins.ts';

/** listClusters touches no node: any SSH is a bug. */
const NO_SHELL: Shell = {
  exec: () => Promise.reject(new Error('no SSH expected')),
  scanHostKey: () => Promise.reject(new Error('no SSH expected')),
};

describe('AzureProvider.listClusters on the fake ARM (real SDK clients)', () => {
  let fake: FakeArm;
  let provider: AzureProvider;
  let clients: AzureClients;
  const input = (clusterId: string, nodeCount: number, size: string): CreateClusterInput => ({
    clusterId,
    name: clusterId.split('-')[0] ?? 'x',
    nodeCount,
    size,
    spot: false,
    authorizedKeys: [],
    labels: { channelId: 'C0TEAM', ownerId: 'U0OWNER' },
  });

  beforeAll(async () => {
    fake = await startFakeArm({
      quotas: { standardHBrsv3Family: 1200, standardDSv5Family: 100, cores: 2000 },
    });
    clients = makeAzureClients({
      credential: fakeTokenCredential(fake.token),
      subscriptionId: fake.subscriptionId,
      endpoint: fake.url,
      tlsCa: fake.certPem,
      throttle: { firstDelayInMs: 5, maxTotalDelayInMs: 1000 },
      retry: { maxRetries: 3, retryDelayInMs: 5, maxRetryDelayInMs: 50 },
    });
    provider = new AzureProvider({
      clients,
      subscriptionId: fake.subscriptionId,
      location: 'eastus',
      vmSizes: ['Standard_HB120rs_v3', 'Standard_D4s_v5'],
      image: { publisher: 'microsoft-dsvm', offer: 'ubuntu-hpc', sku: '2204', version: 'latest' },
      sshSources: ['203.0.113.0/24'],
      adminUsername: 'mpiboxadmin',
      jobUsername: 'mpi',
      botPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFr1Ws2I0z8fJxGqkSTW1xHC3cxk3V9KcN7Tyb9Q7sYh bot',
      maxNodesPerCluster: 16,
      spotMaxPricePerHour: -1,
      customData: async () => '#cloud-config\n{}\n',
      pollOptions: FAST_POLL,
      shell: NO_SHELL,
      pins: new HostKeyPins(makeTempDir('mpibox-azure-list-pins')),
      clock: new SystemClock(),
      logger: new JsonLogger('error'),
    });
  });

  afterAll(async () => {
    await fake.close();
  });

  it('lists the groups tagged created-by=mpibox with their scale set’s size, capacity and creation time', async () => {
    const before = Date.now();
    await provider.create(input('alpha-a1b2c3', 2, 'Standard_HB120rs_v3'));
    await provider.create(input('beta-d4e5f6', 3, 'Standard_D4s_v5'));
    const after = Date.now();
    // A group of ours whose scale set never came (a create that died early): listed, no nodes.
    await clients.resources.resourceGroups.createOrUpdate('mpibox-bare-000001', {
      location: 'eastus',
      tags: { 'created-by': 'mpibox', 'mpibox-cluster-id': 'bare-000001' },
    });
    // Not ours: no tag (Azure's $filter leaves it out), or tagged but not named like ours.
    await clients.resources.resourceGroups.createOrUpdate('mpibox-untagged-000001', { location: 'eastus' });
    await clients.resources.resourceGroups.createOrUpdate('someone-elses', {
      location: 'eastus',
      tags: { 'created-by': 'mpibox' },
    });

    const listed = await provider.listClusters();

    const byId = new Map(listed.map((cluster) => [cluster.clusterId, cluster]));
    expect([...byId.keys()].sort()).toEqual(['alpha-a1b2c3', 'bare-000001', 'beta-d4e5f6']);
    expect(byId.get('alpha-a1b2c3')).toMatchObject({
      name: 'alpha',
      resourceName: 'mpibox-alpha-a1b2c3',
      nodeCount: 2,
      size: 'Standard_HB120rs_v3',
      labels: { channelId: 'C0TEAM', ownerId: 'U0OWNER' },
    });
    expect(byId.get('beta-d4e5f6')).toMatchObject({ name: 'beta', nodeCount: 3, size: 'Standard_D4s_v5' });
    for (const id of ['alpha-a1b2c3', 'beta-d4e5f6']) {
      const createdAtMs = byId.get(id)?.createdAtMs ?? 0;
      expect(createdAtMs).toBeGreaterThanOrEqual(before - 1000);
      expect(createdAtMs).toBeLessThanOrEqual(after + 1000);
    }
    expect(byId.get('bare-000001')).toEqual({
      clusterId: 'bare-000001',
      name: null,
      resourceName: 'mpibox-bare-000001',
      createdAtMs: null,
      nodeCount: 0,
      size: null,
      labels: null,
    });
  });

  it('follows resizes and terminations', async () => {
    await provider.resize('beta-d4e5f6', 1);
    await provider.terminate('alpha-a1b2c3');
    await provider.terminate('bare-000001');

    const listed = await provider.listClusters();

    expect(listed.map((cluster) => [cluster.clusterId, cluster.nodeCount])).toEqual([['beta-d4e5f6', 1]]);
  });
});
