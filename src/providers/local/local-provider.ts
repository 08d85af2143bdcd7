import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { machinefileText, nodeName } from '../../domain/cluster.ts';
import { MpiboxError } from '../../domain/errors.ts';
import type { Clock } from '../../ports/clock.ts';
import { ACTIVITY_PROBE_SCRIPT, parseProbe } from '../../domain/activity-probe.ts';
import type {
  ClusterActivity,
  ClusterInfo,
  CloudProvider,
  CreateClusterInput,
  NodeResult,
  NodeSize,
  NodeStatus,
  ProviderCluster,
} from '../../ports/cloud-provider.ts';
import type { Logger } from '../../ports/logger.ts';
import type { Shell } from '../../ports/shell.ts';
import { nodeShellText, sshClientConfigText, sshdConfigText, type LocalUser } from './config-files.ts';
import { HostKeyFiles } from './host-key-files.ts';
import { detectNodeIsolation, isolatedArgv, type NodeIsolation } from './node-isolation.ts';
import { clusterLayout, type ClusterLayout, type LocalClusterState } from './layout.ts';
import { allocatePorts } from './port-allocator.ts';
import { commandLine, descendantsOf, findByEnvironment, isAlive, terminateAll } from './processes.ts';
import { writeFileAtomic } from './write-file-atomic.ts';

// Longer than STYLE's 300 lines on purpose: it is the provider verb table (create … recover)
// over one on-disk cluster state; file texts, /proc handling, ports and layout are already
// in their own modules beside it.

const execFileAsync = promisify(execFile);

/** Every local node listens on loopback only. */
const NODE_HOST = '127.0.0.1';

/**
 * Node daemons and key generation get a minimal environment, never the bot's: sshd outlives
 * the bot and would otherwise keep (and hand to every session) its Slack tokens.
 */
const DAEMON_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' };

function run(file: string, args: string[], options: { timeout?: number } = {}) {
  return execFileAsync(file, args, { ...options, env: DAEMON_ENV });
}

export interface LocalProviderOptions {
  /** Folder holding one sub-folder per cluster. */
  root: string;
  /** First SSH port to hand out. */
  basePort: number;
  /** MPI slots per node. */
  slotsPerNode: number;
  /** The OS user nodes log in as (the bot's own user). */
  user: LocalUser;
  /** The bot's public key; always authorized. */
  botPublicKey: string;
  shell: Shell;
  clock: Clock;
  logger: Logger;
  /** Path of the OpenSSH server binary. */
  sshdPath?: string;
  /** mpiexec and its fixed arguments, one word each. */
  launcher?: readonly string[];
  /** How nodes are told apart (see node-isolation.ts); detected on first use when omitted. */
  isolation?: NodeIsolation;
}

/**
 * Clusters on this machine. Each node is a real OpenSSH server on 127.0.0.1 at its own port,
 * started as a daemon so it outlives the bot; Open MPI on node 0 reaches the other nodes
 * through their own servers, so a job crosses "node" boundaries exactly as on a real cluster.
 */
export class LocalProvider implements CloudProvider {
  readonly kind = 'local' as const;
  readonly supportsSpot = false;
  readonly launcher: readonly string[];
  readonly #options: LocalProviderOptions;
  readonly #sshdPath: string;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #stateCache = new Map<string, { version: string; state: LocalClusterState }>();
  readonly #pidCache = new Map<string, { atMs: number; pid: number | null }>();
  readonly #hostKeyFiles = new HostKeyFiles();
  #isolation: Promise<NodeIsolation> | null = null;

  constructor(options: LocalProviderOptions) {
    if (/[\s"'\\$`]/.test(options.root)) {
      throw new MpiboxError('bad-input', 'local data folder must not contain spaces or quotes', {
        root: options.root,
      });
    }
    this.#options = options;
    this.#sshdPath = options.sshdPath ?? '/usr/sbin/sshd';
    this.launcher = options.launcher ?? ['mpiexec'];
    fs.mkdirSync(options.root, { recursive: true });
  }

  /** How this machine lets nodes be told apart; detected once, then remembered. */
  isolation(): Promise<NodeIsolation> {
    this.#isolation ??= this.#options.isolation
      ? Promise.resolve(this.#options.isolation)
      : detectNodeIsolation(DAEMON_ENV).then((isolation) => {
          if (isolation === 'none') {
            this.#options.logger.warn('local nodes cannot have host names of their own here', {
              consequence: 'shared memory between ranks is off on local nodes; ranks of a node talk over TCP',
            });
          } else this.#options.logger.info('local nodes get host names of their own', { isolation });
          return isolation;
        });
    return this.#isolation;
  }

  async sizes(): Promise<readonly NodeSize[]> {
    return this.#sizes();
  }

  #sizes(): readonly NodeSize[] {
    const slots = this.#options.slotsPerNode;
    return [{ name: 'local', slots, description: `a node on this machine with ${slots} MPI slot(s)` }];
  }

  create(input: CreateClusterInput): Promise<NodeResult[]> {
    if (input.spot) {
      return Promise.reject(
        new MpiboxError('unsupported', 'spot capacity is an Azure feature; the local provider has none', {
          option: 'spot',
        }),
      );
    }
    if (!this.#sizes().some((size) => size.name === input.size)) {
      return Promise.reject(new MpiboxError('bad-input', 'unknown size', { size: input.size }));
    }
    return this.#exclusive(async () => {
      const layout = this.#layout(input.clusterId);
      let state = this.#readState(input.clusterId);
      if (!state) {
        const ports = await allocatePorts(this.#options.basePort, input.nodeCount, this.#takenPorts());
        state = {
          clusterId: input.clusterId,
          name: input.name,
          size: input.size,
          slotsPerNode: this.#options.slotsPerNode,
          nodes: ports.map((port, index) => ({ index, name: nodeName(input.name, index), port })),
        };
        fs.mkdirSync(layout.dir, { recursive: true });
        writeFileAtomic(layout.stateFile, JSON.stringify(state, null, 2));
      }
      await this.#prepareCluster(layout, state, input.authorizedKeys);
      return this.#startNodes(layout, state, state.nodes);
    });
  }

  async query(clusterId: string): Promise<NodeStatus[]> {
    const state = this.#readState(clusterId);
    if (!state) return [];
    const layout = this.#layout(clusterId);
    return state.nodes.map((node) => ({
      index: node.index,
      name: node.name,
      state: this.#nodeState(layout, node.name),
    }));
  }

  async waitReady(clusterId: string, timeoutInMs: number, abortSignal?: AbortSignal): Promise<ClusterInfo> {
    const { clock } = this.#options;
    const deadline = clock.nowInMs() + timeoutInMs;
    const pending = new Set((this.#readState(clusterId)?.nodes ?? []).map((node) => node.name));
    let lastProblem = 'no nodes';
    for (;;) {
      const info = await this.info(clusterId);
      if (!info) throw new MpiboxError('not-found', 'cluster does not exist', { clusterId });
      for (const node of info.nodes.filter((candidate) => pending.has(candidate.name))) {
        try {
          const result = await this.#options.shell.exec(
            { host: node.host, port: node.port, user: info.user },
            'printf %s "$MPIBOX_NODE"',
            { timeoutInMs: 5000, ...(abortSignal ? { abortSignal } : {}) },
          );
          if (result.stdout === node.name) pending.delete(node.name);
          else lastProblem = `${node.name} answered as ${JSON.stringify(result.stdout)}`;
        } catch (error) {
          lastProblem = `${node.name}: ${error instanceof Error ? error.message : String(error)}`;
        }
      }
      if (pending.size === 0) return info;
      if (clock.nowInMs() >= deadline) {
        throw new MpiboxError('timeout', 'nodes did not answer SSH in time', {
          clusterId,
          waiting: [...pending].join(' '),
          lastProblem,
        });
      }
      await clock.sleep(200, abortSignal);
    }
  }

  resize(clusterId: string, nodeCount: number): Promise<NodeResult[]> {
    return this.#exclusive(async () => {
      const state = this.#requireState(clusterId);
      const layout = this.#layout(clusterId);
      const current = state.nodes.length;
      if (nodeCount > current) {
        const ports = await allocatePorts(this.#options.basePort, nodeCount - current, this.#takenPorts());
        const added = ports.map((port, offset) => ({
          index: current + offset,
          name: nodeName(state.name, current + offset),
          port,
        }));
        state.nodes.push(...added);
        writeFileAtomic(layout.stateFile, JSON.stringify(state, null, 2));
        await this.#prepareCluster(layout, state, null);
        const started = await this.#startNodes(layout, state, added);
        return [...this.#results(layout, state.nodes.slice(0, current)), ...started];
      } else if (nodeCount < current) {
        const removed = state.nodes.splice(nodeCount);
        writeFileAtomic(layout.stateFile, JSON.stringify(state, null, 2));
        await this.#prepareCluster(layout, state, null);
        for (const node of removed) {
          await this.#stopNode(layout, state, node.name);
          fs.rmSync(layout.node(node.name).dir, { recursive: true, force: true });
        }
      }
      return this.#results(layout, state.nodes);
    });
  }

  /** Stops every node's server and what runs on it; nothing bills here, so stopped is deallocated. */
  deallocate(clusterId: string): Promise<void> {
    return this.#exclusive(async () => {
      const state = this.#readState(clusterId);
      if (!state) return;
      const layout = this.#layout(clusterId);
      for (const node of state.nodes) await this.#stopNode(layout, state, node.name);
    });
  }

  /** Starts the servers of a deallocated cluster again, on their old ports. */
  start(clusterId: string): Promise<NodeResult[]> {
    return this.#exclusive(async () => {
      const state = this.#requireState(clusterId);
      return this.#startNodes(this.#layout(clusterId), state, state.nodes);
    });
  }

  terminate(clusterId: string): Promise<void> {
    return this.#exclusive(async () => {
      const layout = this.#layout(clusterId);
      const state = this.#readState(clusterId);
      const listeners = (state?.nodes ?? []).flatMap((node) => {
        const pid = this.#listenerPid(layout, node.name);
        return pid === null ? [] : descendantsOf(pid);
      });
      await terminateAll([...listeners, ...findByEnvironment({ MPIBOX_CLUSTER_ID: clusterId })], 2000);
      fs.rmSync(layout.dir, { recursive: true, force: true });
      this.#options.logger.info('local cluster terminated', { clusterId });
    });
  }

  /**
   * Every cluster folder under the root. A folder without its state file (a create that died
   * before writing it) is listed too, with no nodes: it is still ours and still on disk.
   */
  async listClusters(): Promise<ProviderCluster[]> {
    return this.#clusterIds().flatMap((clusterId) => {
      const layout = this.#layout(clusterId);
      let createdAtMs: number | null;
      try {
        // The folder is made once, by `create`. Where the file system keeps no birth time (it
        // reads 0), the cluster's internal key tells: it is written once, right after.
        createdAtMs = fs.statSync(layout.dir).birthtimeMs || mtimeOrNull(layout.internalKey);
      } catch {
        return []; // terminated meanwhile
      }
      const state = this.#readState(clusterId);
      return [
        {
          clusterId,
          name: state?.name ?? null,
          resourceName: layout.dir,
          createdAtMs,
          nodeCount: state?.nodes.length ?? 0,
          size: state?.size ?? null,
          labels: null,
        },
      ];
    });
  }

  /**
   * Every local node runs on this machine as the bot's user, so the probe runs here once and
   * finds the cluster's processes by the MPIBOX_CLUSTER_ID each node's sshd gives them.
   */
  async activity(clusterId: string, jobIds: readonly number[]): Promise<ClusterActivity> {
    if (!this.#readState(clusterId)) return { sessions: [], jobCpuTicks: new Map() };
    const { stdout } = await execFileAsync(
      'perl',
      ['-e', ACTIVITY_PROBE_SCRIPT, '--', `MPIBOX_CLUSTER_ID=${clusterId}`, ...jobIds.map(String)],
      { timeout: 30_000, maxBuffer: 4 * 1024 * 1024 },
    );
    return parseProbe(stdout);
  }

  async info(clusterId: string): Promise<ClusterInfo | null> {
    const state = this.#readState(clusterId);
    if (!state) return null;
    const layout = this.#layout(clusterId);
    const nodes = state.nodes.map((node) => ({
      index: node.index,
      name: node.name,
      host: NODE_HOST,
      port: node.port,
      // Other nodes reach it by its Host alias in the cluster's ssh_config (the machinefile's name).
      privateAddress: node.name,
      slots: state.slotsPerNode,
      state: this.#nodeState(layout, node.name),
    }));
    return {
      clusterId,
      user: this.#options.user.name,
      botUser: this.#options.user.name,
      jobsRunAs: null,
      nodes,
      machinefilePath: layout.machinefile,
      machinefile: machinefileText(nodes),
      workDir: layout.work,
      sharedDir: layout.shared,
    };
  }

  authorizeKeys(clusterId: string, publicKeys: readonly string[]): Promise<void> {
    return this.#exclusive(async () => {
      const layout = this.#layout(clusterId);
      if (!this.#readState(clusterId)) return;
      this.#writeAuthorizedKeys(layout, publicKeys);
    });
  }

  recover(clusterId: string): Promise<void> {
    return this.#exclusive(async () => {
      const state = this.#readState(clusterId);
      if (!state) return;
      const layout = this.#layout(clusterId);
      for (const node of state.nodes) {
        if (this.#listenerPid(layout, node.name) !== null) continue;
        this.#options.logger.info('restarting local node', { clusterId, node: node.name, port: node.port });
        await this.#startNode(layout, state, node);
      }
    });
  }

  /**
   * The bot's KnownHostKeys for local nodes: the node at `host:port` must present the host key
   * generated in its folder (read from the `.pub` beside it, so a node recreated with a new key
   * is followed). Null for an address that is no node of this provider's clusters.
   */
  knownHostKeys(host: string, port: number): readonly string[] | null {
    if (host !== NODE_HOST) return null;
    for (const clusterId of this.#clusterIds()) {
      const node = this.#readState(clusterId)?.nodes.find((candidate) => candidate.port === port);
      if (!node) continue;
      // A node of ours without its key file accepts no key at all (a mismatch, not "unknown").
      return this.#hostKeyFiles.read(`${this.#layout(clusterId).node(node.name).hostKey}.pub`) ?? [];
    }
    return null;
  }

  /** Starts `nodes` one by one; a node that fails is reported with its reason, the rest go on. */
  async #startNodes(
    layout: ClusterLayout,
    state: LocalClusterState,
    nodes: readonly { index: number; name: string; port: number }[],
  ): Promise<NodeResult[]> {
    const results: NodeResult[] = [];
    for (const node of nodes) {
      try {
        await this.#startNode(layout, state, node);
        results.push({ index: node.index, name: node.name, state: 'running', failure: null });
      } catch (error) {
        this.#options.logger.warn('local node failed to start', {
          clusterId: state.clusterId,
          node: node.name,
          error,
        });
        const message =
          error instanceof MpiboxError
            ? `${error.message}: ${String(error.fields.log ?? '')}`.trim()
            : String(error);
        results.push({
          index: node.index,
          name: node.name,
          state: 'terminated',
          failure: { code: 'NodeStartFailed', message },
        });
      }
    }
    return results;
  }

  #results(layout: ClusterLayout, nodes: readonly { index: number; name: string }[]): NodeResult[] {
    return nodes.map((node) => ({
      index: node.index,
      name: node.name,
      state: this.#nodeState(layout, node.name),
      failure: null,
    }));
  }

  /** A node is running while its server is; a stopped local node holds nothing, so it is deallocated. */
  #nodeState(layout: ClusterLayout, name: string): 'running' | 'deallocated' {
    return this.#cachedListenerPid(layout, name) === null ? 'deallocated' : 'running';
  }

  /** Writes everything but the per-node sshd files; `keys` null keeps the current user keys. */
  async #prepareCluster(
    layout: ClusterLayout,
    state: LocalClusterState,
    keys: readonly string[] | null,
  ): Promise<void> {
    fs.mkdirSync(layout.shared, { recursive: true });
    if (!fs.existsSync(layout.internalKey)) {
      await run('ssh-keygen', [
        '-q',
        '-t',
        'ed25519',
        '-N',
        '',
        '-C',
        `mpibox-internal-${state.name}`,
        '-f',
        layout.internalKey,
      ]);
    }
    const userKeys = keys ?? this.#readUserKeys(layout);
    this.#writeAuthorizedKeys(layout, userKeys);
    writeFileAtomic(layout.sshConfig, sshClientConfigText(layout, state, this.#options.user));
    writeFileAtomic(layout.nodeShell, nodeShellText(layout), 0o755);
    const nodes = state.nodes.map((node) => ({ name: node.name, slots: state.slotsPerNode }));
    writeFileAtomic(layout.machinefile, machinefileText(nodes));
  }

  async #startNode(
    layout: ClusterLayout,
    state: LocalClusterState,
    node: { name: string; port: number },
  ): Promise<void> {
    if (this.#listenerPid(layout, node.name) !== null) return;
    const files = layout.node(node.name);
    fs.mkdirSync(files.dir, { recursive: true });
    fs.mkdirSync(files.tmp, { recursive: true, mode: 0o700 });
    if (!fs.existsSync(files.hostKey)) {
      await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', node.name, '-f', files.hostKey]);
    }
    const isolation = await this.isolation();
    writeFileAtomic(
      files.sshdConfig,
      sshdConfigText(layout, state, node, this.#options.user, sftpServerPath(), isolation),
    );
    if (this.#options.user.isRoot) fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    try {
      // sshd forks into the background and its first process exits at once: the node outlives
      // the bot, like a VM outlives the machine that created it.
      // In a namespace of its own, the node's host name is its name (see node-isolation.ts).
      const argv = isolatedArgv(isolation, node.name, [
        this.#sshdPath,
        '-f',
        files.sshdConfig,
        '-E',
        files.log,
      ]);
      await run(argv[0]!, argv.slice(1), { timeout: 10_000 });
    } catch (error) {
      const log = readTail(files.log);
      throw new MpiboxError(
        'provider',
        'local node failed to start',
        { node: node.name, port: node.port, log },
        { cause: error },
      );
    }
    const deadline = Date.now() + 5000;
    this.#pidCache.delete(files.pidFile);
    // A wait for a condition (the node's sshd wrote its pid file), not a retry of a failure.
    while (this.#readListenerPid(layout.node(node.name)) === null) {
      if (Date.now() > deadline) {
        throw new MpiboxError('provider', 'local node did not write its pid', {
          node: node.name,
          log: readTail(files.log),
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async #stopNode(layout: ClusterLayout, state: LocalClusterState, name: string): Promise<void> {
    const pid = this.#listenerPid(layout, name);
    const pids = pid === null ? [] : descendantsOf(pid);
    pids.push(...findByEnvironment({ MPIBOX_CLUSTER_ID: state.clusterId, MPIBOX_NODE: name }));
    await terminateAll(pids, 2000);
    fs.rmSync(layout.node(name).pidFile, { force: true });
    this.#pidCache.delete(layout.node(name).pidFile); // reports see the change at once
  }

  /** The node's sshd listener pid when it is running (checked against its command line). */
  #cachedListenerPid(layout: ClusterLayout, name: string): number | null {
    const files = layout.node(name);
    // Liveness checks read three files; status asks for them often, so a check stays good
    // for a second. Only reports (info, query) use this; verbs that act check afresh.
    const cached = this.#pidCache.get(files.pidFile);
    if (cached && cached.atMs > Date.now() - 1000) return cached.pid;
    const pid = this.#readListenerPid(files);
    this.#pidCache.set(files.pidFile, { atMs: Date.now(), pid });
    return pid;
  }

  #listenerPid(layout: ClusterLayout, name: string): number | null {
    return this.#readListenerPid(layout.node(name));
  }

  #readListenerPid(files: ReturnType<ClusterLayout['node']>): number | null {
    let pid: number;
    try {
      pid = Number(fs.readFileSync(files.pidFile, 'utf8').trim());
    } catch {
      return null;
    }
    if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return null;
    // A pid file can outlive its process, and the pid be reused by something else.
    return commandLine(pid)?.includes(files.sshdConfig) ? pid : null;
  }

  #writeAuthorizedKeys(layout: ClusterLayout, userKeys: readonly string[]): void {
    const internal = fs.readFileSync(`${layout.internalKey}.pub`, 'utf8').trim();
    const lines = [
      '# mpibox: the bot, the cluster itself, then the users of its channel',
      this.#options.botPublicKey,
      internal,
      ...userKeys,
    ];
    writeFileAtomic(layout.authorizedKeys, `${lines.join('\n')}\n`, 0o600);
  }

  #readUserKeys(layout: ClusterLayout): string[] {
    try {
      // The first three lines are the header, the bot key and the internal key.
      return fs.readFileSync(layout.authorizedKeys, 'utf8').split('\n').slice(3).filter(Boolean);
    } catch {
      return [];
    }
  }

  #takenPorts(): Set<number> {
    const taken = new Set<number>();
    for (const clusterId of this.#clusterIds()) {
      for (const node of this.#readState(clusterId)?.nodes ?? []) taken.add(node.port);
    }
    return taken;
  }

  /** Names in the root folder that can be cluster ids (lost+found, editor droppings cannot). */
  #clusterIds(): string[] {
    return fs.readdirSync(this.#options.root).filter((entry) => /^[a-z0-9-]+$/.test(entry));
  }

  #readState(clusterId: string): LocalClusterState | null {
    const file = this.#layout(clusterId).stateFile;
    try {
      // Status asks often; re-read only when the file was replaced (atomic writes change the inode).
      const stat = fs.statSync(file);
      const version = `${stat.ino}:${stat.mtimeMs}:${stat.size}`;
      let cached = this.#stateCache.get(clusterId);
      if (cached?.version !== version) {
        cached = { version, state: JSON.parse(fs.readFileSync(file, 'utf8')) as LocalClusterState };
        this.#stateCache.set(clusterId, cached);
      }
      return structuredClone(cached.state); // callers may change their copy before writing it
    } catch {
      this.#stateCache.delete(clusterId);
      return null;
    }
  }

  #requireState(clusterId: string): LocalClusterState {
    const state = this.#readState(clusterId);
    if (!state) throw new MpiboxError('not-found', 'cluster does not exist', { clusterId });
    return state;
  }

  #layout(clusterId: string): ClusterLayout {
    if (!/^[a-z0-9-]+$/.test(clusterId)) throw new MpiboxError('bad-input', 'bad cluster id', { clusterId });
    return clusterLayout(this.#options.root, clusterId);
  }

  /** Verbs that read-modify-write the folder run one at a time. */
  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work, work);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}

function sftpServerPath(): string | null {
  const candidates = [
    '/usr/lib/openssh/sftp-server',
    '/usr/libexec/openssh/sftp-server',
    '/usr/libexec/sftp-server',
  ];
  return candidates.find((candidate) => fs.existsSync(candidate)) ?? null;
}

function mtimeOrNull(file: string): number | null {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

function readTail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').slice(-500).trim();
  } catch {
    return '';
  }
}
