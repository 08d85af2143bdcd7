import { randomBytes } from 'node:crypto';
import { isLive } from '../domain/cluster.ts';
import { MpiboxError, isBotNotInChannel, isMpiboxError } from '../domain/errors.ts';
import { canModifyCluster, formatDuration } from '../domain/policy.ts';
import type { Chat, Message } from '../ports/chat.ts';
import type { ChatPacer } from './chat-pacer.ts';
import type { Clock } from '../ports/clock.ts';
import type { ClusterInfo, CloudProvider, NodeResult } from '../ports/cloud-provider.ts';
import type { DomainEvents } from '../ports/events.ts';
import type { Logger } from '../ports/logger.ts';
import type { ClusterRow, Store } from '../ports/store.ts';
import type { Actor, Limits, Reply } from './actor.ts';
import { explain } from './explain.ts';
import { resolveCluster } from './resolve-cluster.ts';
import {
  clusterCard,
  clusterListMessage,
  downConfirmation,
  lostNotice,
  lostProblem,
  message,
  nodeTable,
} from './messages.ts';
import type { Budgets } from './budgets.ts';
import { costLine, idleLine } from './cluster-cost.ts';
import type { IdlePolicy } from '../domain/idle.ts';
import type { ReadyCheck } from './ready-check.ts';
import type { TaskTracker } from './task-tracker.ts';

// Longer than STYLE's 300 lines on purpose: the cluster state machine (creating → ready →
// resizing → deleting → deleted/failed), its recovery after a restart, and the card that
// shows it change together; messages, policy and name resolution live in their own modules.

export interface ClusterServiceDeps {
  store: Store;
  provider: CloudProvider;
  chat: Chat;
  /** Spaces chat calls per channel (shared with the job logs of the same channel). */
  pacer: ChatPacer;
  clock: Clock;
  tracker: TaskTracker;
  logger: Logger;
  limits: Limits;
  /** Node and cluster-state events are published here (usage, reaper and metrics listen). */
  events: DomainEvents;
  /**
   * The MPI check a cluster passes before it is called ready (after create and resize); null
   * or absent when turned off (MPIBOX_READY_CHECK=false, for images without MPI).
   */
  readyCheck?: ReadyCheck | null;
  /** The reaper's rule, for the card's idle clock; absent: no reaper. */
  idlePolicy?: IdlePolicy;
  /** Estimates and budgets said (and enforced) before `up` creates anything; absent: none. */
  budgets?: Pick<Budgets, 'beforeUp'>;
  /** Called before a cluster is deleted, to end its jobs (they are recorded as cancelled). */
  beforeDelete?: (clusterId: string) => Promise<void>;
  /** Called whenever a cluster becomes ready (created, re-created, resized), to start waiting jobs. */
  afterReady?: (clusterId: string) => void;
}

/**
 * Cluster use cases: up, resize, down, status, list, and recovery after a restart. Each
 * command validates and records synchronously, answers at once, and leaves slow provider
 * work to the tracker, which posts progress on the cluster card.
 */
export class ClusterService {
  readonly #deps: ClusterServiceDeps;
  readonly #infoCache = new Map<string, { updatedAtMs: number; info: ClusterInfo | null }>();
  /** The last status answer (replies are never changed after they are made). */
  #statusCache: { key: string; reply: Reply } | null = null;
  /** Thread notes posted so far: each its own pacer slot (notes are never coalesced). */
  #notes = 0;

  constructor(deps: ClusterServiceDeps) {
    this.#deps = deps;
  }

  async up(
    actor: Actor,
    request: { nodes: number; name: string | null; size: string | null; spot: boolean },
  ): Promise<Reply> {
    const { store, provider, clock } = this.#deps;
    const sizes = await provider.sizes();
    const size = request.size ?? sizes[0]?.name ?? 'default';
    const name = request.name ?? this.#freeName();
    const existing = store.findLiveClusterByName(name);
    if (existing && existing.channelId !== actor.channelId)
      throw new MpiboxError('conflict', 'name taken', { name, otherChannel: true });
    if (existing) {
      const same =
        existing.nodeCount === request.nodes && existing.size === size && existing.spot === request.spot;
      // A different spec is refused, not silently answered with the existing card.
      if (!same) {
        throw new MpiboxError('conflict', 'name taken here', {
          name,
          existingNodes: existing.nodeCount,
          existingSize: existing.size,
          existingSpot: existing.spot,
          nodes: request.nodes,
          size,
          spot: request.spot,
        });
      }
      // A stopped (deallocated) cluster of that name starts again: same disks, same ports.
      if (existing.state === 'stopped') return this.#startStopped(existing);
      // Idempotent: the same `up` twice does not make two clusters.
      await this.#deps.tracker.waitFor(existing.id);
      return this.status(actor, { name });
    }
    if (!sizes.some((candidate) => candidate.name === size)) {
      throw new MpiboxError('bad-input', 'unknown size', {
        size,
        sizes: sizes.map((s) => s.name).join(', '),
      });
    }
    if (request.spot && !provider.supportsSpot)
      throw new MpiboxError('unsupported', 'no spot', { provider: provider.kind });
    this.#checkQuota(request.nodes, 0);
    let estimate = '';
    try {
      estimate = this.#deps.budgets
        ? ` ${this.#deps.budgets.beforeUp(actor, { size, spot: request.spot, nodes: request.nodes })}`
        : '';
    } catch (error) {
      if (isMpiboxError(error) && error.fields.budget) return overBudget(error, actor.channelId);
      throw error;
    }

    const cluster = store.insertCluster({
      id: `${name}-${randomBytes(3).toString('hex')}`,
      name,
      channelId: actor.channelId,
      ownerId: actor.userId,
      provider: provider.kind,
      size,
      spot: request.spot,
      nodeCount: request.nodes,
      createdAtMs: clock.nowInMs(),
    });
    // The card is posted inside the tracked work, so a `down` arriving meanwhile waits for it
    // instead of racing it. A channel the bot may not post in gets nothing created: the card
    // and the job logs would have nowhere to go.
    let cardPosted: (failure: unknown) => void = () => undefined;
    const posted = new Promise<unknown>((resolve) => {
      cardPosted = resolve;
    });
    void this.#deps.tracker.run(cluster.id, async () => {
      const failure = await this.#postCard(cluster);
      cardPosted(failure);
      if (isBotNotInChannel(failure)) {
        this.#update(cluster.id, { state: 'failed', lastError: explain(failure) });
        return;
      }
      await this.#create(cluster.id);
    });
    const failure = await posted;
    if (isBotNotInChannel(failure)) throw failure;
    const eta = provider.kind === 'local' ? 'a few seconds' : 'a few minutes';
    return {
      visibility: 'ephemeral',
      message: message(
        `Creating cluster \`${name}\`: ${request.nodes} × ${size}.${estimate} The card in the channel updates when every node answers SSH${this.#deps.readyCheck ? ' and an MPI check has run across them' : ''} (${eta}).`,
      ),
    };
  }

  async resize(actor: Actor, request: { name: string | null; nodes: number }): Promise<Reply> {
    const cluster = await this.#resolve(actor, request.name);
    this.#authorize(actor, cluster, 'resize');
    if (cluster.state !== 'ready')
      throw new MpiboxError('conflict', 'busy', { name: cluster.name, state: cluster.state });
    if (request.nodes === cluster.nodeCount) {
      return {
        visibility: 'ephemeral',
        message: message(`\`${cluster.name}\` already has ${cluster.nodeCount} node(s); nothing to do.`),
      };
    }
    this.#checkQuota(request.nodes, cluster.nodeCount);
    if (request.nodes < cluster.nodeCount) this.#checkShrink(cluster, request.nodes);
    const from = cluster.nodeCount;
    this.#update(cluster.id, { state: 'resizing', nodeCount: request.nodes, lastError: null });
    void this.#deps.tracker.run(cluster.id, async () => {
      void this.#refreshCard(cluster.id); // progress; paced, so the work does not wait for it
      await this.#resize(cluster.id, from);
    });
    return {
      visibility: 'ephemeral',
      message: message(
        `Resizing \`${cluster.name}\` from ${from} to ${request.nodes} node(s); the card updates when done.`,
      ),
    };
  }

  async down(actor: Actor, request: { name: string | null; yes: boolean }): Promise<Reply> {
    const cluster = await this.#resolve(actor, request.name);
    this.#authorize(actor, cluster, 'down');
    if (!request.yes) {
      return { visibility: 'ephemeral', message: downConfirmation(cluster) };
    }
    return this.#startDelete(cluster);
  }

  /** The Down button: the same checks as the command, re-run at click time. Idempotent. */
  async downById(actor: Actor, clusterId: string): Promise<Reply> {
    const cluster = this.#deps.store.getCluster(clusterId);
    if (!cluster) throw new MpiboxError('not-found', 'no cluster with this id', { id: clusterId });
    this.#authorize(actor, cluster, 'down'); // first: a stranger learns nothing about its state
    if (!isLive(cluster.state) || cluster.state === 'deleting') {
      return {
        visibility: 'ephemeral',
        message: message(`\`${cluster.name}\` is already deleted or being deleted.`),
      };
    }
    return this.#startDelete(cluster);
  }

  async status(actor: Actor, request: { name: string | null }): Promise<Reply> {
    const cluster = await this.#resolve(actor, request.name);
    const now = this.#deps.clock.nowInMs();
    // The same status is asked for again and again (and must answer inside Slack's ack): it
    // only changes when the cluster row does (every change bumps updatedAtMs) or its age text.
    const key = `${cluster.id} ${cluster.updatedAtMs} ${formatDuration(now - cluster.createdAtMs)}`;
    if (this.#statusCache?.key === key) return this.#statusCache.reply;
    const info = cluster.state === 'ready' ? await this.#connectionInfo(cluster) : null;
    const card = clusterCard(cluster, info, now, this.#money(cluster, now));
    const nodes = this.#deps.store.listNodes(cluster.id);
    if (nodes.length > 0) card.blocks.splice(2, 0, { kind: 'code', text: nodeTable(nodes) });
    const reply: Reply = { visibility: 'ephemeral', message: card };
    this.#statusCache = { key, reply };
    return reply;
  }

  async list(actor: Actor): Promise<Reply> {
    const clusters = this.#deps.store.listLiveClusters(actor.channelId);
    return { visibility: 'ephemeral', message: clusterListMessage(clusters, this.#deps.clock.nowInMs()) };
  }

  /**
   * After a restart: finish what was in flight and make sure every live cluster's nodes are
   * up. A cluster the provider no longer has is created again (new ports, same name).
   */
  recoverAll(): void {
    for (const cluster of this.#deps.store.listLiveClusters()) {
      void this.#deps.tracker.run(cluster.id, () => this.#recover(cluster.id));
    }
  }

  /**
   * The reconciler did not find this cluster in the provider's list begun at `listedAtMs`.
   * Only a ready cluster not changed since can be lost (one being created, resized or deleted
   * is its own operation's to judge), and only when the provider confirms it has nothing of
   * it. Then its usage closes, it is marked failed, its thread and card say so, and its jobs
   * end. Resolves true when it was marked.
   */
  async markLost(clusterId: string, listedAtMs: number): Promise<boolean> {
    const { store, provider, logger } = this.#deps;
    let marked = false;
    await this.#deps.tracker.run(clusterId, async () => {
      const cluster = this.#get(clusterId);
      if (cluster.state !== 'ready' || cluster.updatedAtMs >= listedAtMs) return;
      if ((await provider.info(clusterId)) !== null) return; // a list can lag behind; it is there
      logger.warn('provider lost a live cluster', { clusterId, provider: provider.kind });
      store.transaction(() => {
        this.#stopAllNodes(clusterId, 'deleted');
        store.setNodes(clusterId, []);
        this.#update(clusterId, { state: 'failed', lastError: lostProblem(provider.kind) });
      });
      marked = true;
      await this.#postInThread(clusterId, lostNotice(cluster));
      await this.#refreshCard(clusterId);
      await this.#deps.beforeDelete?.(clusterId);
    });
    return marked;
  }

  /** Keys allowed on a channel's clusters changed: push them to every live cluster there. */
  async refreshKeys(channelId: string): Promise<void> {
    const { store, provider } = this.#deps;
    const keys = store.listChannelKeys(channelId).map((key) => key.publicKey);
    for (const cluster of store.listLiveClusters(channelId)) {
      await this.#deps.tracker.waitFor(cluster.id);
      await provider.authorizeKeys(cluster.id, keys);
    }
  }

  async #create(clusterId: string): Promise<void> {
    const { store, provider } = this.#deps;
    const cluster = this.#get(clusterId);
    if (cluster.state !== 'creating') return; // deleted (or failed) while this waited its turn
    const requestedAtMs = this.#deps.clock.nowInMs();
    try {
      const results = await provider.create({
        clusterId,
        name: cluster.name,
        nodeCount: cluster.nodeCount,
        size: cluster.size,
        spot: cluster.spot,
        authorizedKeys: store.listChannelKeys(cluster.channelId).map((key) => key.publicKey),
        labels: { channelId: cluster.channelId, ownerId: cluster.ownerId },
      });
      await this.#bringUp(clusterId, results, requestedAtMs);
    } catch (error) {
      this.#deps.logger.warn('cluster creation failed', { clusterId, error });
      // Nothing billable may outlive a failed create.
      await provider.terminate(clusterId).catch(() => undefined);
      store.transaction(() => {
        this.#stopAllNodes(clusterId, 'failed');
        this.#update(clusterId, { state: 'failed', lastError: explain(error) });
      });
    }
    await this.#refreshCard(clusterId);
  }

  async #resize(clusterId: string, from: number): Promise<void> {
    const { provider, limits } = this.#deps;
    const cluster = this.#get(clusterId);
    if (cluster.state !== 'resizing') return; // deleted while this waited its turn
    try {
      const requestedAtMs = this.#deps.clock.nowInMs();
      const results = await provider.resize(clusterId, cluster.nodeCount);
      this.#publishStarted(clusterId, results, requestedAtMs);
      throwIfNodesFailed(results);
      const info = await provider.waitReady(clusterId, limits.readyTimeoutInMs);
      this.#recordNodes(clusterId, info);
      const readyCheck = await this.#checkMpi(clusterId, info);
      this.#update(clusterId, { state: 'ready', lastError: null, readyCheck });
    } catch (error) {
      this.#deps.logger.warn('cluster resize failed', { clusterId, error });
      const info = await provider.info(clusterId).catch(() => null);
      const actual = info?.nodes.length ?? from;
      if (info) this.#recordNodes(clusterId, info);
      this.#update(clusterId, {
        state: 'ready',
        nodeCount: actual,
        lastError: `resize failed: ${explain(error)}`,
        readyCheck: null,
      });
    }
    this.#deps.afterReady?.(clusterId);
    await this.#refreshCard(clusterId);
  }

  async #startDelete(cluster: ClusterRow): Promise<Reply> {
    await this.#deps.tracker.waitFor(cluster.id);
    // Re-read after waiting: a second click or command may have started the delete meanwhile.
    // The check and the update below run without an await between them, so only one wins.
    const fresh = this.#get(cluster.id);
    if (isLive(fresh.state) && fresh.state !== 'deleting') {
      this.#update(cluster.id, { state: 'deleting' });
      void this.#deps.tracker.run(cluster.id, async () => {
        void this.#refreshCard(cluster.id); // progress; paced, so the work does not wait for it
        await this.#delete(cluster.id);
      });
    }
    return {
      visibility: 'ephemeral',
      message: message(`Deleting \`${cluster.name}\`; the card confirms when every node is gone.`),
    };
  }

  async #delete(clusterId: string): Promise<void> {
    const { store, provider, clock } = this.#deps;
    try {
      await this.#deps.beforeDelete?.(clusterId);
      await provider.terminate(clusterId);
    } catch (error) {
      this.#deps.logger.error('cluster delete failed', { clusterId, error });
      this.#update(clusterId, { lastError: `delete failed, will retry on restart: ${explain(error)}` });
      await this.#refreshCard(clusterId);
      return;
    }
    store.transaction(() => {
      this.#stopAllNodes(clusterId, 'deleted');
      store.setNodes(clusterId, []);
      this.#update(clusterId, { state: 'deleted', deletedAtMs: clock.nowInMs(), lastError: null });
    });
    await this.#refreshCard(clusterId);
  }

  async #recover(clusterId: string): Promise<void> {
    const { provider, logger } = this.#deps;
    const cluster = this.#get(clusterId);
    logger.info('recovering cluster', { clusterId, state: cluster.state });
    if (cluster.state === 'creating') return this.#create(clusterId);
    if (cluster.state === 'deleting') return this.#delete(clusterId);
    if (cluster.state === 'resizing')
      return this.#resize(clusterId, this.#deps.store.listNodes(clusterId).length);
    if (cluster.state === 'stopping') return this.#stop(clusterId);
    if (cluster.state === 'starting') return this.#start(clusterId);
    if (cluster.state === 'stopped') return; // deallocated on purpose: it stays so
    const before = await provider.info(clusterId);
    if (!before) {
      logger.warn('provider lost a live cluster; creating it again', { clusterId });
      this.#update(clusterId, {
        state: 'creating',
        lastError: 'its nodes were gone after a restart; created again',
      });
      return this.#create(clusterId);
    }
    await provider.recover(clusterId);
    const info = await provider.waitReady(clusterId, this.#deps.limits.readyTimeoutInMs);
    this.#recordNodes(clusterId, info);
  }

  /**
   * The reaper's act on a cluster it warned about: deallocate (`stop`, disks kept) or delete.
   * Claimed in one statement (still ready, the same warning outstanding, no job), so overlapping
   * ticks or a second bot process act once; resolves false when someone else acted or the
   * cluster is in use. The work runs in the background, like `down`.
   */
  reap(clusterId: string, warnedAtMs: number, action: 'stop' | 'delete'): boolean {
    const { store, clock } = this.#deps;
    const atMs = clock.nowInMs();
    const to = action === 'stop' ? 'stopping' : 'deleting';
    if (!store.claimReap(clusterId, warnedAtMs, to, atMs)) return false;
    this.#deps.events.publish({ type: 'cluster-state-changed', clusterId, from: 'ready', to, atMs });
    void this.#deps.tracker.run(clusterId, async () => {
      void this.#refreshCard(clusterId);
      await (action === 'stop' ? this.#stop(clusterId) : this.#delete(clusterId));
    });
    return true;
  }

  /** Deallocates every node: compute billing stops, disks stay; `up` of the name starts it again. */
  async #stop(clusterId: string): Promise<void> {
    const { store, provider, clock } = this.#deps;
    try {
      await this.#deps.beforeDelete?.(clusterId);
      await provider.deallocate(clusterId);
    } catch (error) {
      this.#deps.logger.error('cluster stop failed', { clusterId, error });
      this.#update(clusterId, { state: 'ready', lastError: `stop failed: ${explain(error)}` });
      await this.#refreshCard(clusterId);
      return;
    }
    const atMs = clock.nowInMs();
    store.transaction(() => {
      for (const usage of store.listUsage(clusterId)) {
        if (usage.stoppedAtMs === null)
          this.#deps.events.publish({
            type: 'node-stopped',
            clusterId,
            nodeName: usage.nodeName,
            reason: 'deallocated',
            atMs,
          });
      }
      store.setNodes(
        clusterId,
        store.listNodes(clusterId).map(({ index, name, host, port, slots }) => ({
          index,
          name,
          host,
          port,
          slots,
          state: 'deallocated' as const,
        })),
      );
      this.#update(clusterId, { state: 'stopped', lastError: null, readyCheck: null });
    });
    await this.#refreshCard(clusterId);
  }

  /** `up NAME` of a stopped cluster: start its nodes again, then ready as after a create. */
  async #startStopped(cluster: ClusterRow): Promise<Reply> {
    await this.#deps.tracker.waitFor(cluster.id);
    if (this.#get(cluster.id).state === 'stopped') {
      this.#update(cluster.id, { state: 'starting', lastError: null });
      void this.#deps.tracker.run(cluster.id, async () => {
        void this.#refreshCard(cluster.id);
        await this.#start(cluster.id);
      });
    }
    return {
      visibility: 'ephemeral',
      message: message(
        `Starting \`${cluster.name}\` again: ${cluster.nodeCount} × ${cluster.size}, same disks and SSH ports. The card updates when it is ready.`,
      ),
    };
  }

  async #start(clusterId: string): Promise<void> {
    const { provider } = this.#deps;
    try {
      const requestedAtMs = this.#deps.clock.nowInMs();
      await this.#bringUp(clusterId, await provider.start(clusterId), requestedAtMs);
    } catch (error) {
      this.#deps.logger.warn('cluster start failed', { clusterId, error });
      // Whatever started bills: stop it again rather than leave it half up.
      await provider.deallocate(clusterId).catch(() => undefined);
      this.#stopAllNodes(clusterId, 'failed');
      this.#update(clusterId, { state: 'stopped', lastError: `start failed: ${explain(error)}` });
    }
    await this.#refreshCard(clusterId);
  }

  /**
   * After the provider allocated the nodes (create, start): billing from the request, then
   * SSH, the node records, the MPI check, and ready. Throws on any failed node or check.
   */
  async #bringUp(clusterId: string, results: readonly NodeResult[], requestedAtMs: number): Promise<void> {
    // Billing runs from allocation, not from the first SSH answer.
    this.#publishStarted(clusterId, results, requestedAtMs);
    throwIfNodesFailed(results);
    const info = await this.#deps.provider.waitReady(clusterId, this.#deps.limits.readyTimeoutInMs);
    this.#recordNodes(clusterId, info);
    const readyCheck = await this.#checkMpi(clusterId, info);
    this.#update(clusterId, { state: 'ready', lastError: null, readyCheck });
    this.#deps.afterReady?.(clusterId);
  }

  /** Nodes with an open usage interval (already billing). */
  #billingNodes(clusterId: string): Set<string> {
    return new Set(
      this.#deps.store
        .listUsage(clusterId)
        .filter((usage) => usage.stoppedAtMs === null)
        .map((usage) => usage.nodeName),
    );
  }

  /** Nodes the provider allocated start billing at `atMs` (when they were asked for). */
  #publishStarted(clusterId: string, results: readonly NodeResult[], atMs: number): void {
    const cluster = this.#get(clusterId);
    const billing = this.#billingNodes(clusterId);
    for (const result of results) {
      if (result.state !== 'running' || billing.has(result.name)) continue;
      this.#deps.events.publish({
        type: 'node-started',
        clusterId,
        nodeName: result.name,
        size: cluster.size,
        spot: cluster.spot,
        atMs,
      });
    }
  }

  /**
   * Runs the MPI check (when on) and returns its line for the card; throws naming the node at
   * fault. The card says what is going on meanwhile: an MPI start on many nodes takes a while.
   */
  async #checkMpi(clusterId: string, info: ClusterInfo): Promise<string | null> {
    const check = this.#deps.readyCheck;
    if (!check) return null;
    this.#update(clusterId, { readyCheck: `Checking MPI across ${info.nodes.length} node(s)…` });
    void this.#refreshCard(clusterId);
    const line = await check.run(info);
    this.#deps.logger.info('MPI check passed', { clusterId, result: line });
    return line;
  }

  /** Stores the provider's view of the nodes and says which nodes started and stopped. */
  #recordNodes(clusterId: string, info: ClusterInfo): void {
    const { store, clock, events } = this.#deps;
    const cluster = this.#get(clusterId);
    const atMs = clock.nowInMs();
    store.transaction(() => {
      const previous = store.listNodes(clusterId).map((node) => node.name);
      const current = info.nodes.map((node) => node.name);
      for (const gone of previous.filter((name) => !current.includes(name)))
        events.publish({ type: 'node-stopped', clusterId, nodeName: gone, reason: 'removed', atMs });
      const billing = this.#billingNodes(clusterId);
      for (const node of info.nodes.filter((candidate) => !billing.has(candidate.name))) {
        events.publish({
          type: 'node-started',
          clusterId,
          nodeName: node.name,
          size: cluster.size,
          spot: cluster.spot,
          atMs,
        });
      }
      store.setNodes(
        clusterId,
        info.nodes.map(({ index, name, host, port, slots, state }) => ({
          index,
          name,
          host,
          port,
          slots,
          state,
        })),
      );
      this.#update(clusterId, { nodeCount: info.nodes.length });
    });
  }

  /** Every node of the cluster that still bills stops now (deleted, or a create rolled back). */
  #stopAllNodes(clusterId: string, reason: 'deleted' | 'failed'): void {
    const atMs = this.#deps.clock.nowInMs();
    for (const usage of this.#deps.store.listUsage(clusterId)) {
      if (usage.stoppedAtMs === null)
        this.#deps.events.publish({
          type: 'node-stopped',
          clusterId,
          nodeName: usage.nodeName,
          reason,
          atMs,
        });
    }
  }

  /**
   * Posts the cluster card; resolves with the failure, or null. Other than a channel the bot
   * may not post in, a card that cannot be posted (Slack down, say) does not stop the
   * cluster: `/mpi status` shows the same information.
   */
  async #postCard(cluster: ClusterRow): Promise<unknown> {
    let failure: unknown = null;
    await this.#deps.pacer.submit(cluster.channelId, `cluster-post-${cluster.id}`, async () => {
      try {
        const ref = await this.#deps.chat.post(
          cluster.channelId,
          clusterCard(
            this.#get(cluster.id),
            null,
            this.#deps.clock.nowInMs(),
            this.#money(this.#get(cluster.id), this.#deps.clock.nowInMs()),
          ),
        );
        this.#update(cluster.id, { cardChannelId: ref.channelId, cardMessageId: ref.messageId });
      } catch (error) {
        this.#deps.logger.warn('cluster card could not be posted', { clusterId: cluster.id, error });
        failure = error;
      }
    });
    return failure;
  }

  /** Posts in the card's thread (in the channel when there is no card), paced; failures are logged. */
  async #postInThread(clusterId: string, text: Message): Promise<void> {
    const cluster = this.#get(clusterId);
    const card =
      cluster.cardChannelId && cluster.cardMessageId
        ? { channelId: cluster.cardChannelId, messageId: cluster.cardMessageId }
        : undefined;
    await this.#deps.pacer.submit(
      cluster.channelId,
      `cluster-note-${clusterId}-${(this.#notes += 1)}`,
      async () => {
        try {
          await this.#deps.chat.post(card?.channelId ?? cluster.channelId, text, card);
        } catch (error) {
          this.#deps.logger.warn('cluster note could not be posted', { clusterId, error });
        }
      },
    );
  }

  /** Updates the card in place, paced with the channel's other chat calls; only the newest waits. */
  async #refreshCard(clusterId: string): Promise<void> {
    const channelId = this.#get(clusterId).channelId;
    await this.#deps.pacer.submit(channelId, `cluster-card-${clusterId}`, async () => {
      const cluster = this.#get(clusterId); // the newest state when our turn comes
      if (!cluster.cardChannelId || !cluster.cardMessageId) return;
      try {
        const info = cluster.state === 'ready' ? await this.#connectionInfo(cluster) : null;
        await this.#deps.chat.update(
          { channelId: cluster.cardChannelId, messageId: cluster.cardMessageId },
          clusterCard(
            cluster,
            info,
            this.#deps.clock.nowInMs(),
            this.#money(cluster, this.#deps.clock.nowInMs()),
          ),
        );
      } catch (error) {
        this.#deps.logger.warn('cluster card update failed', { clusterId, error });
      }
    });
  }

  /**
   * Connection info for a card or a status. Status is asked often and must answer inside
   * Slack's acknowledgement, so the provider's answer is kept until the cluster row changes
   * (every create, resize and delete updates it).
   */
  async #connectionInfo(cluster: ClusterRow): Promise<ClusterInfo | null> {
    const cached = this.#infoCache.get(cluster.id);
    if (cached && cached.updatedAtMs === cluster.updatedAtMs) return cached.info;
    const info = await this.#deps.provider.info(cluster.id);
    this.#infoCache.set(cluster.id, { updatedAtMs: cluster.updatedAtMs, info });
    if (this.#infoCache.size > 1000) this.#infoCache.delete(this.#infoCache.keys().next().value as string);
    return info;
  }

  /** The card's cost and idle lines. */
  #money(cluster: ClusterRow, nowInMs: number): { cost: string | null; idle: string | null } {
    return {
      cost: costLine(this.#deps.store, cluster, nowInMs),
      idle: idleLine(this.#deps.store, cluster, this.#deps.idlePolicy ?? null, nowInMs),
    };
  }

  #resolve(actor: Actor, name: string | null): Promise<ClusterRow> {
    return resolveCluster(this.#deps.store, this.#deps.tracker, actor, name);
  }

  #authorize(actor: Actor, cluster: ClusterRow, verb: string): void {
    if (!canModifyCluster(actor.userId, cluster, this.#deps.limits.adminIds)) {
      throw new MpiboxError('forbidden', 'not owner', { verb, name: cluster.name, ownerId: cluster.ownerId });
    }
  }

  /**
   * Shrinking removes nodes: not under a running (or still cancelling) job, and not below what
   * a queued job was accepted for.
   */
  #checkShrink(cluster: ClusterRow, nodes: number): void {
    const { store } = this.#deps;
    const slotsPerNode = store.listNodes(cluster.id)[0]?.slots ?? 1;
    const blocking = store.listUnfinishedJobs(cluster.id).flatMap((job) => {
      if (job.state !== 'queued')
        return [`job #${job.id} is ${job.state === 'running' ? 'running' : 'cancelling'}`];
      const capacity = (job.ranksPerNode ?? slotsPerNode) * nodes;
      return job.ranks > capacity
        ? [`queued job #${job.id} needs ${job.ranks} ranks (room for ${capacity})`]
        : [];
    });
    if (blocking.length > 0) {
      throw new MpiboxError('conflict', 'jobs need the nodes', {
        name: cluster.name,
        nodes,
        jobs: blocking.join(', '),
      });
    }
  }

  #checkQuota(requested: number, current: number): void {
    const { limits, store } = this.#deps;
    if (requested > limits.maxNodesPerCluster) {
      throw new MpiboxError('quota', 'too many nodes', {
        requested,
        max: limits.maxNodesPerCluster,
        scope: 'cluster',
      });
    }
    const live = store.listLiveClusters().reduce((sum, cluster) => sum + cluster.nodeCount, 0);
    if (live - current + requested > limits.maxTotalNodes) {
      throw new MpiboxError('quota', 'too many nodes', {
        requested,
        max: limits.maxTotalNodes,
        inUse: live - current,
        scope: 'total',
      });
    }
  }

  #freeName(): string {
    for (let index = 1; ; index += 1) {
      if (!this.#deps.store.findLiveClusterByName(`mpi-${index}`)) return `mpi-${index}`;
    }
  }

  #get(clusterId: string): ClusterRow {
    const cluster = this.#deps.store.getCluster(clusterId);
    if (!cluster) throw new MpiboxError('not-found', 'no such cluster', { clusterId });
    return cluster;
  }

  #update(clusterId: string, patch: Omit<Parameters<Store['updateCluster']>[1], 'updatedAtMs'>): ClusterRow {
    const { store, clock, events } = this.#deps;
    const from = patch.state === undefined ? null : (store.getCluster(clusterId)?.state ?? null);
    const atMs = clock.nowInMs();
    const row = store.updateCluster(clusterId, { ...patch, updatedAtMs: atMs });
    if (from !== null && from !== row.state)
      events.publish({ type: 'cluster-state-changed', clusterId, from, to: row.state, atMs });
    return row;
  }
}

/**
 * A create or resize of which some nodes failed is a failure of the whole step: the caller
 * rolls back (create) or keeps what works (resize). The error names the first failed node and
 * carries the cloud's own code and message, which the user sees.
 */
function throwIfNodesFailed(results: readonly NodeResult[]): void {
  const failed = results.filter((result) => result.failure !== null);
  const first = failed[0];
  if (!first?.failure) return;
  throw new MpiboxError('provider', 'nodes failed', {
    node: first.name,
    failedNodes: failed.length,
    providerCode: first.failure.code,
    providerMessage: first.failure.message,
  });
}

/** The refusal of an `up` over budget: the numbers, and the admins' Approve button. */
function overBudget(error: MpiboxError, channelId: string): Reply {
  const text = explain(error);
  return {
    visibility: 'ephemeral',
    message: {
      text,
      blocks: [
        { kind: 'text', text },
        {
          kind: 'actions',
          buttons: [
            { action: 'budget-approve', label: 'Approve (admins)', value: channelId, style: 'primary' },
          ],
        },
      ],
    },
  };
}
