import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_POLL, fakeTokenCredential, startFakeArm, type FakeArm } from '../../../test/fake-arm/index.ts';
import { JsonLogger } from '../../adapters/system/json-logger.ts';
import { SystemClock } from '../../adapters/system/system-clock.ts';
import { makeTempDir } from '../../../test/support/local-fixtures.ts';
import type { ExecOptions, ExecResult, Shell, SshTarget } from '../../ports/shell.ts';
import type { CreateClusterInput } from '../../ports/cloud-provider.ts';
import { makeAzureClients } from './azure-clients.ts';
import { AzureProvider, type AzureClients } from './azure-provider.ts';
import { HostKeyPins } from './host-key-pins.ts';

/** SSH to the fake's machines (which have no sshd): records commands, answers as told. */
class RecordingShell implements Shell {
  readonly commands: { node: string; user: string; command: string; stdin?: string }[] = [];
  /** Exit status per command prefix (default 0). */
  readonly exitCodes = new Map<string, number>();

  async exec(target: SshTarget, command: string, options: ExecOptions): Promise<ExecResult> {
    this.commands.push({
      node: `${target.host}:${target.port}`,
      user: target.user,
      command,
      ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
    });
    const code = [...this.exitCodes].find(([prefix]) => command.startsWith(prefix))?.[1] ?? 0;
    return { stdout: code === 0 ? '' : 'status: error', stderr: '', exitCode: code };
  }

  async scanHostKey(host: string, port: number): Promise<string> {
    return `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${Buffer.from(`${host}:${port}`).toString('base64')}`;
  }
}

const BOT_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFr1Ws2I0z8fJxGqkSTW1xHC3cxk3V9KcN7Tyb9Q7sYh mpibox-bot';

describe('AzureProvider on the fake ARM (real SDK clients)', () => {
  let fake: FakeArm;
  let provider: AzureProvider;
  let clients: AzureClients;
  const shell = new RecordingShell();
  const input = (clusterId: string, nodeCount: number): CreateClusterInput => ({
    clusterId,
    name: clusterId.split('-')[0] ?? 'x',
    nodeCount,
    size: 'Standard_HB120rs_v3',
    spot: false,
    authorizedKeys: [],
    labels: { channelId: 'C0TEAM', ownerId: 'U0OWNER' },
  });
  const groupResources = (clusterId: string) =>
    fake.resourceIds().filter((id) => id.toLowerCase().includes(`/resourcegroups/mpibox-${clusterId}`));

  beforeAll(async () => {
    fake = await startFakeArm({ quotas: { standardHBrsv3Family: 1200, cores: 2000 } });
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
      botPublicKey: BOT_KEY,
      maxNodesPerCluster: 16,
      spotMaxPricePerHour: -1,
      customData: async () => '#cloud-config\n{}\n',
      pollOptions: FAST_POLL,
      shell,
      pins: new HostKeyPins(makeTempDir('mpibox-azure-pins')),
      clock: new SystemClock(),
      logger: new JsonLogger('error'),
    });
  });

  afterAll(async () => {
    await fake.close();
  });

  it('creates a resource group with the network, the load balancer and a Uniform scale set as specified', async () => {
    const results = await provider.create(input('demo-a1b2c3', 4));

    expect(results.map((result) => [result.name, result.state, result.failure])).toEqual([
      ['demo-0', 'running', null],
      ['demo-1', 'running', null],
      ['demo-2', 'running', null],
      ['demo-3', 'running', null],
    ]);
    const group = await clients.resources.resourceGroups.get('mpibox-demo-a1b2c3');
    expect(group.tags).toMatchObject({
      'created-by': 'mpibox',
      'mpibox-cluster-id': 'demo-a1b2c3',
      'mpibox-cluster': 'demo',
      'mpibox-channel': 'C0TEAM',
      'mpibox-owner': 'U0OWNER',
    });
    const nsg = await clients.network.networkSecurityGroups.get('mpibox-demo-a1b2c3', 'ssh');
    expect(
      nsg.securityRules?.map((rule) => [rule.sourceAddressPrefixes, rule.destinationPortRange, rule.access]),
    ).toEqual([[['203.0.113.0/24'], '22', 'Allow']]);
    const vnet = await clients.network.virtualNetworks.get('mpibox-demo-a1b2c3', 'vnet');
    expect(vnet.addressSpace?.addressPrefixes?.[0]).not.toMatch(/^172\.16\./);
    const lb = await clients.network.loadBalancers.get('mpibox-demo-a1b2c3', 'lb');
    expect(lb.sku?.name).toBe('Standard');
    expect(lb.inboundNatRules?.[0]).toMatchObject({ backendPort: 22, frontendPortRangeStart: 10106 });
    expect(lb.inboundNatRules?.[0]?.backendAddressPool?.id).toMatch(/backendAddressPools\/nodes$/);
    expect(lb.outboundRules).toHaveLength(1);
    const scaleSet = await clients.compute.virtualMachineScaleSets.get('mpibox-demo-a1b2c3', 'nodes');
    expect(scaleSet).toMatchObject({
      singlePlacementGroup: true,
      overprovision: false,
      orchestrationMode: 'Uniform',
    });
    expect(scaleSet.sku).toMatchObject({ name: 'Standard_HB120rs_v3', capacity: 4 });
    expect(
      scaleSet.virtualMachineProfile?.osProfile?.linuxConfiguration?.ssh?.publicKeys?.map(
        (key) => key.keyData,
      ),
    ).toEqual([BOT_KEY]);
  });

  it('reads back each node’s NAT port and private IP, node 0 the lowest instance id', async () => {
    const info = await provider.info('demo-a1b2c3');
    const instances = fake.instances('mpibox-demo-a1b2c3', 'nodes');

    expect(info?.nodes.map((node) => node.name)).toEqual(['demo-0', 'demo-1', 'demo-2', 'demo-3']);
    expect(info?.nodes.map((node) => node.privateAddress)).toEqual(
      [...instances]
        .sort((a, b) => Number(a.instanceId) - Number(b.instanceId))
        .map((instance) => instance.privateIp),
    );
    const ports = info?.nodes.map((node) => node.port) ?? [];
    expect(new Set(ports).size).toBe(4);
    for (const port of ports) expect(port).toBeGreaterThan(0);
    expect(info?.nodes.every((node) => node.host === '127.0.0.1' && node.slots === 120)).toBe(true);
    expect(info?.machinefile).toBe(info?.nodes.map((node) => `${node.privateAddress} slots=120\n`).join(''));
    expect(info?.user).toBe('mpi');
  });

  it('is ready once cloud-init is done everywhere: host keys pinned, NFS from node 0, machinefile on every node', async () => {
    shell.commands.length = 0;

    const info = await provider.waitReady('demo-a1b2c3', 30_000);

    const [first, ...rest] = info.nodes;
    const at = (node: typeof first) => `${node?.host}:${node?.port}`;
    expect(shell.commands.every((entry) => entry.user === 'mpiboxadmin')).toBe(true);
    for (const node of info.nodes) {
      const mine = shell.commands
        .filter((entry) => entry.node === at(node))
        .map((entry) => entry.command.split(' ').slice(0, 2).join(' '));
      expect(mine[0]).toBe('cloud-init status');
      expect(mine.at(-1)).toBe('sudo /usr/local/sbin/mpibox-write-machinefile');
      expect(provider.knownHostKeys(node.host, node.port)?.[0]).toMatch(/^ssh-ed25519 /);
    }
    expect(
      shell.commands
        .filter((entry) => entry.command.includes('mpibox-nfs-server'))
        .map((entry) => entry.node),
    ).toEqual([at(first)]);
    expect(
      shell.commands
        .filter((entry) => entry.command.includes('mpibox-nfs-client'))
        .map((entry) => entry.node)
        .sort(),
    ).toEqual(rest.map(at).sort());
    for (const entry of shell.commands.filter((candidate) => candidate.command.includes('mpibox-nfs-client')))
      expect(entry.command).toContain(first?.privateAddress);
    expect(shell.commands.find((entry) => entry.command.includes('write-machinefile'))?.stdin).toBe(
      info.machinefile,
    );
    expect(provider.knownHostKeys('127.0.0.1', 1)).toBeNull();
  });

  it('says which node failed cloud-init instead of calling the cluster ready', async () => {
    shell.exitCodes.set('cloud-init', 1);

    const failed = await provider.waitReady('demo-a1b2c3', 30_000).catch((error: unknown) => error);
    shell.exitCodes.clear();

    expect(failed).toMatchObject({
      code: 'provider',
      fields: expect.objectContaining({ node: 'demo-0', providerCode: 'NodeSetupFailed' }),
    });
  });

  it('pushes the team’s keys to every node', async () => {
    shell.commands.length = 0;

    await provider.authorizeKeys('demo-a1b2c3', ['ssh-ed25519 AAAA1 alice', 'ssh-ed25519 AAAA2 bob']);

    const pushes = shell.commands.filter((entry) => entry.command === 'sudo /usr/local/sbin/mpibox-set-keys');
    expect(pushes).toHaveLength(4);
    for (const push of pushes) expect(push.stdin).toBe('ssh-ed25519 AAAA1 alice\nssh-ed25519 AAAA2 bob\n');
  });

  it('grows and shrinks by the highest instance ids, keeping node 0', async () => {
    const before = await provider.info('demo-a1b2c3');

    const grown = await provider.resize('demo-a1b2c3', 6);
    const shrunk = await provider.resize('demo-a1b2c3', 3);
    const after = await provider.info('demo-a1b2c3');

    expect(grown).toHaveLength(6);
    expect(shrunk.map((result) => result.name)).toEqual(['demo-0', 'demo-1', 'demo-2']);
    expect(after?.nodes.slice(0, 3).map((node) => node.privateAddress)).toEqual(
      before?.nodes.slice(0, 3).map((node) => node.privateAddress),
    );
    expect(fake.instances('mpibox-demo-a1b2c3', 'nodes')).toHaveLength(3);
  });

  it('deallocates (no node running) and starts again', async () => {
    await provider.deallocate('demo-a1b2c3');
    const stopped = await provider.query('demo-a1b2c3');
    const started = await provider.start('demo-a1b2c3');

    expect(stopped.map((node) => node.state)).toEqual(['deallocated', 'deallocated', 'deallocated']);
    expect(started.map((result) => result.state)).toEqual(['running', 'running', 'running']);
  });

  it('terminates by deleting the group, idempotently; the fake holds nothing of it afterwards', async () => {
    await provider.terminate('demo-a1b2c3');
    await provider.terminate('demo-a1b2c3');

    expect(groupResources('demo-a1b2c3')).toEqual([]);
    expect(await provider.info('demo-a1b2c3')).toBeNull();
    expect(await provider.query('demo-a1b2c3')).toEqual([]);
  });

  it('refuses a cluster beyond the quota with the numbers, before creating anything', async () => {
    const before = fake.count({ method: 'PUT' });

    const refused = await provider.create(input('huge-000001', 12)).catch((error: unknown) => error);

    expect(refused).toMatchObject({
      code: 'provider',
      fields: expect.objectContaining({ providerCode: 'QuotaExceeded' }),
    });
    expect(String((refused as { fields: { providerMessage: string } }).fields.providerMessage)).toMatch(
      /needs 1440 vCPUs of .* in eastus; 1200 of 1200 are free/,
    );
    expect(fake.count({ method: 'PUT' })).toBe(before);
    expect(groupResources('huge-000001')).toEqual([]);
  });

  it('gets through throttling (429 with and without Retry-After) and a 500', async () => {
    fake.failRequest({
      method: 'PUT',
      path: '/virtualMachineScaleSets/',
      status: 429,
      retryAfterInSeconds: 0,
    });
    fake.failRequest({ method: 'PUT', path: '/loadBalancers/', status: 429 });
    fake.failRequest({ method: 'PUT', path: '/virtualNetworks/', status: 500 });

    const results = await provider.create(input('retry-abc123', 2));

    expect(results.every((result) => result.state === 'running')).toBe(true);
    expect(
      fake.requests
        .filter((request) => request.injected)
        .map((request) => request.status)
        .sort(),
    ).toEqual([429, 429, 500]);
    await provider.terminate('retry-abc123');
  });

  it('says what Azure said when an operation fails midway, and terminate then leaves nothing', async () => {
    fake.failOperation({
      method: 'PUT',
      path: '/virtualMachineScaleSets/',
      code: 'AllocationFailed',
      message:
        'Allocation failed. We do not have sufficient capacity for the requested VM size in this region.',
    });

    const failed = await provider.create(input('alloc-abc123', 2)).catch((error: unknown) => error);
    await provider.terminate('alloc-abc123');

    expect(failed).toMatchObject({
      code: 'provider',
      fields: expect.objectContaining({ step: 'scale set', providerCode: 'AllocationFailed' }),
    });
    expect(String((failed as { fields: { providerMessage: string } }).fields.providerMessage)).toMatch(
      /sufficient capacity/,
    );
    expect(groupResources('alloc-abc123')).toEqual([]);
  });
});
