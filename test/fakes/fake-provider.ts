import { machinefileText } from '../../src/domain/cluster.ts';
import { MpiboxError } from '../../src/domain/errors.ts';
import type {
  ClusterActivity,
  ClusterInfo,
  CloudProvider,
  CreateClusterInput,
  NodeResult,
  NodeSize,
  NodeStatus,
  ProviderCluster,
} from '../../src/ports/cloud-provider.ts';
import { NextCallGate } from './next-call-gate.ts';

/**
 * An in-memory provider for service tests: it keeps clusters in a map, counts verb calls,
 * and fails a verb on demand (`failNext`).
 */
export class FakeProvider implements CloudProvider {
  readonly kind = 'local' as const;
  readonly supportsSpot = false;
  readonly launcher = ['mpiexec'];
  /** Like Azure: the bot logs in as an admin and runs jobs as this user (null: as itself). */
  jobsRunAs: string | null = null;
  /** Nodes whose creation fails with the given cloud error (by index), for partial failures. */
  readonly failingNodes = new Map<number, { code: string; message: string }>();
  /** What the "cloud" holds; tests add orphans here, or delete entries to lose a cluster. */
  readonly clusters = new Map<
    string,
    {
      name: string;
      nodeCount: number;
      keys: readonly string[];
      size?: string;
      createdAtMs?: number | null;
      labels?: { channelId: string; ownerId: string } | null;
    }
  >();
  readonly calls: string[] = [];
  readonly #failures = new Map<string, MpiboxError>();
  readonly #resizeGate = new NextCallGate();
  readonly #createGate = new NextCallGate();

  /** Makes the next `create` wait until the returned function is called (slow machines). */
  holdCreate(): () => void {
    return this.#createGate.hold();
  }

  /** Makes the next `resize` wait until the returned function is called (slow machines). */
  holdResize(): () => void {
    return this.#resizeGate.hold();
  }

  async sizes(): Promise<readonly NodeSize[]> {
    return [
      { name: 'local', slots: 2, description: 'fake' },
      { name: 'big', slots: 8, description: 'fake big' },
    ];
  }

  /** Makes the next call of `verb` reject with a provider error. */
  failNext(verb: string, message = 'injected failure'): void {
    this.#failures.set(verb, new MpiboxError('provider', message));
  }

  async create(input: CreateClusterInput): Promise<NodeResult[]> {
    this.#enter(`create ${input.clusterId}`);
    await this.#createGate.pass();
    if (!this.clusters.has(input.clusterId)) {
      this.clusters.set(input.clusterId, {
        name: input.name,
        nodeCount: input.nodeCount,
        keys: input.authorizedKeys,
        size: input.size,
        labels: input.labels,
      });
    }
    return this.#results(input.clusterId);
  }

  async query(clusterId: string): Promise<NodeStatus[]> {
    return (await this.info(clusterId))?.nodes ?? [];
  }

  async waitReady(clusterId: string): Promise<ClusterInfo> {
    this.#enter(`waitReady ${clusterId}`);
    const info = await this.info(clusterId);
    if (!info) throw new MpiboxError('not-found', 'cluster does not exist', { clusterId });
    return info;
  }

  async resize(clusterId: string, nodeCount: number): Promise<NodeResult[]> {
    this.#enter(`resize ${clusterId} ${nodeCount}`);
    await this.#resizeGate.pass();
    const cluster = this.clusters.get(clusterId);
    if (!cluster) throw new MpiboxError('not-found', 'cluster does not exist', { clusterId });
    cluster.nodeCount = nodeCount;
    return this.#results(clusterId);
  }

  async deallocate(clusterId: string): Promise<void> {
    this.#enter(`deallocate ${clusterId}`);
  }

  async start(clusterId: string): Promise<NodeResult[]> {
    this.#enter(`start ${clusterId}`);
    return this.#results(clusterId);
  }

  knownHostKeys(): readonly string[] | null {
    return null;
  }

  /** What `activity` reports, per cluster id: tests set users' sessions and jobs' CPU here. */
  readonly activityOf = new Map<string, ClusterActivity>();

  async activity(clusterId: string, jobIds: readonly number[]): Promise<ClusterActivity> {
    this.#enter(`activity ${clusterId}`);
    const found = this.activityOf.get(clusterId);
    const jobCpuTicks = new Map([...(found?.jobCpuTicks ?? [])].filter(([jobId]) => jobIds.includes(jobId)));
    return { sessions: [...(found?.sessions ?? [])], jobCpuTicks };
  }

  #results(clusterId: string): NodeResult[] {
    const cluster = this.clusters.get(clusterId);
    return Array.from({ length: cluster?.nodeCount ?? 0 }, (_, index) => {
      const failure = this.failingNodes.get(index) ?? null;
      return { index, name: `${cluster?.name}-${index}`, state: failure ? 'terminated' : 'running', failure };
    });
  }

  async terminate(clusterId: string): Promise<void> {
    this.#enter(`terminate ${clusterId}`);
    this.clusters.delete(clusterId);
  }

  async listClusters(): Promise<ProviderCluster[]> {
    this.#enter('listClusters');
    return [...this.clusters].map(([clusterId, cluster]) => ({
      clusterId,
      name: cluster.name,
      resourceName: `fake-${clusterId}`,
      createdAtMs: cluster.createdAtMs ?? null,
      nodeCount: cluster.nodeCount,
      size: cluster.size ?? null,
      labels: cluster.labels ?? null,
    }));
  }

  async info(clusterId: string): Promise<ClusterInfo | null> {
    const cluster = this.clusters.get(clusterId);
    if (!cluster) return null;
    const nodes = Array.from({ length: cluster.nodeCount }, (_, index) => ({
      index,
      name: `${cluster.name}-${index}`,
      host: '127.0.0.1',
      port: 10106 + index,
      privateAddress: `10.0.0.${4 + index}`,
      slots: 2,
      state: 'running' as const,
    }));
    return {
      clusterId,
      user: 'tester',
      botUser: this.jobsRunAs === null ? 'tester' : 'admin',
      jobsRunAs: this.jobsRunAs,
      nodes,
      machinefilePath: `/work/${clusterId}/machinefile`,
      machinefile: machinefileText(nodes),
      workDir: `/work/${clusterId}`,
      sharedDir: `/work/${clusterId}/shared`,
    };
  }

  async authorizeKeys(clusterId: string, publicKeys: readonly string[]): Promise<void> {
    this.#enter(`authorizeKeys ${clusterId} ${publicKeys.length}`);
    const cluster = this.clusters.get(clusterId);
    if (cluster) cluster.keys = publicKeys;
  }

  async recover(clusterId: string): Promise<void> {
    this.#enter(`recover ${clusterId}`);
  }

  #enter(call: string): void {
    this.calls.push(call);
    const verb = call.split(' ')[0] ?? '';
    const failure = this.#failures.get(verb);
    if (failure) {
      this.#failures.delete(verb);
      throw failure;
    }
  }
}
