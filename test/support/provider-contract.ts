import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudProvider, CreateClusterInput } from '../../src/ports/cloud-provider.ts';

/** What a provider under contract test needs: the provider, and what to undo afterwards. */
export interface ContractSetup {
  provider: CloudProvider;
  /** Runs after the suite (stop servers, remove folders). */
  cleanup(): Promise<void>;
  /** How long `waitReady` may take on this provider. */
  readyTimeoutInMs: number;
}

/**
 * The behaviour every CloudProvider must show, whatever cloud is behind it: the local provider
 * runs it against real sshd nodes, the Azure provider against the fake ARM. Verbs are
 * idempotent, results come one per node in index order, and the states map onto mpibox's union.
 */
export function describeProviderContract(label: string, makeSetup: () => Promise<ContractSetup>): void {
  describe(`CloudProvider contract: ${label}`, () => {
    let setup: ContractSetup;
    let provider: CloudProvider;
    let input: CreateClusterInput;

    beforeAll(async () => {
      setup = await makeSetup();
      provider = setup.provider;
      const sizes = await provider.sizes();
      input = {
        clusterId: 'contract-c0ffee',
        name: 'contract',
        nodeCount: 2,
        size: sizes[0]?.name ?? '',
        spot: false,
        authorizedKeys: [],
        labels: { channelId: 'C0CONTRACT', ownerId: 'U0CONTRACT' },
      };
    }, 120_000);

    afterAll(async () => {
      await provider.terminate(input.clusterId).catch(() => undefined);
      await setup.cleanup();
    }, 120_000);

    it('offers sizes with slots, the default first, and a launcher', async () => {
      const sizes = await provider.sizes();

      expect(sizes.length).toBeGreaterThan(0);
      for (const size of sizes) expect(size.slots).toBeGreaterThanOrEqual(1);
      expect(provider.launcher.length).toBeGreaterThan(0);
    });

    it('knows nothing of a cluster it never made', async () => {
      expect(await provider.info('never-made-000000')).toBeNull();
      expect(await provider.query('never-made-000000')).toEqual([]);
      await provider.terminate('never-made-000000'); // gone already: still fine
    });

    it('creates one node per count, idempotently, with one result per node in order', async () => {
      const first = await provider.create(input);
      const again = await provider.create(input);

      for (const results of [first, again]) {
        expect(results.map((result) => result.name)).toEqual(['contract-0', 'contract-1']);
        expect(results.every((result) => result.state === 'running' && result.failure === null)).toBe(true);
      }
    }, 120_000);

    it('lists the clusters it holds, by id, with their node count and size', async () => {
      const listed = await provider.listClusters();

      expect(listed.filter((cluster) => cluster.clusterId === input.clusterId)).toEqual([
        expect.objectContaining({ clusterId: input.clusterId, nodeCount: 2, size: input.size }),
      ]);
      const mine = listed.find((cluster) => cluster.clusterId === input.clusterId);
      expect(mine?.name === null || mine?.name === input.name).toBe(true);
      expect(mine?.resourceName).toContain(input.clusterId);
      if (mine?.createdAtMs != null) expect(Math.abs(Date.now() - mine.createdAtMs)).toBeLessThan(600_000);
    });

    it('reports ready nodes with their own SSH endpoint, a private address and slots', async () => {
      const info = await provider.waitReady(input.clusterId, setup.readyTimeoutInMs);

      expect(info.nodes.map((node) => node.index)).toEqual([0, 1]);
      expect(new Set(info.nodes.map((node) => `${node.host}:${node.port}`)).size).toBe(2);
      for (const node of info.nodes) {
        expect(node.state).toBe('running');
        expect(node.privateAddress).not.toBe('');
        expect(provider.knownHostKeys(node.host, node.port)?.length).toBeGreaterThan(0);
      }
      expect(info.machinefile).toBe(
        info.nodes.map((node) => `${node.privateAddress} slots=${node.slots}\n`).join(''),
      );
      expect(provider.knownHostKeys('127.0.0.1', 1)).toBeNull();
    }, 120_000);

    it('grows and shrinks from the top, keeping node 0 and its endpoint', async () => {
      const before = await provider.info(input.clusterId);

      const grown = await provider.resize(input.clusterId, 3);
      const shrunk = await provider.resize(input.clusterId, 1);
      const after = await provider.waitReady(input.clusterId, setup.readyTimeoutInMs);

      expect(grown.map((result) => result.name)).toEqual(['contract-0', 'contract-1', 'contract-2']);
      expect(shrunk.map((result) => result.name)).toEqual(['contract-0']);
      expect(after.nodes.map((node) => node.name)).toEqual(['contract-0']);
      expect(after.nodes[0]?.port).toBe(before?.nodes[0]?.port);
    }, 180_000);

    it('deallocates (nothing running, nothing billed) and starts again on the same endpoints', async () => {
      const before = await provider.info(input.clusterId);

      await provider.deallocate(input.clusterId);
      const stopped = await provider.query(input.clusterId);
      const started = await provider.start(input.clusterId);
      const after = await provider.waitReady(input.clusterId, setup.readyTimeoutInMs);

      expect(stopped.map((node) => node.state)).toEqual(['deallocated']);
      expect(started.map((result) => result.state)).toEqual(['running']);
      expect(after.nodes.map((node) => `${node.host}:${node.port}`)).toEqual(
        before?.nodes.map((node) => `${node.host}:${node.port}`),
      );
    }, 180_000);

    it('terminates, idempotently, leaving nothing', async () => {
      await provider.terminate(input.clusterId);
      await provider.terminate(input.clusterId);

      expect(await provider.info(input.clusterId)).toBeNull();
      expect(await provider.query(input.clusterId)).toEqual([]);
      expect((await provider.listClusters()).map((cluster) => cluster.clusterId)).not.toContain(
        input.clusterId,
      );
    }, 120_000);
  });
}
