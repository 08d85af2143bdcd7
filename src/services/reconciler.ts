import { isLive } from '../domain/cluster.ts';
import { MpiboxError } from '../domain/errors.ts';
import type { Chat, Message, MessageRef } from '../ports/chat.ts';
import type { Clock } from '../ports/clock.ts';
import type { CloudProvider, ProviderCluster } from '../ports/cloud-provider.ts';
import type { Logger } from '../ports/logger.ts';
import type { Store } from '../ports/store.ts';
import type { Actor, Reply } from './actor.ts';
import type { ChatPacer } from './chat-pacer.ts';
import type { ClusterService } from './cluster-service.ts';
import { explain } from './explain.ts';
import { message, orphanReport, orphanSettled } from './messages.ts';
import type { TaskTracker } from './task-tracker.ts';

export interface ReconcilerDeps {
  store: Store;
  provider: CloudProvider;
  chat: Chat;
  pacer: ChatPacer;
  clock: Clock;
  logger: Logger;
  /** Per-cluster work queue shared with the cluster service (an orphan's Down runs there). */
  tracker: TaskTracker;
  clusters: Pick<ClusterService, 'markLost'>;
  /** Who may delete an orphan (MPIBOX_ADMINS). */
  adminIds: readonly string[];
  /** Where orphans are reported (Slack: MPIBOX_ADMIN_CHANNEL; the console's channel); null: the log only. */
  adminChannelId: string | null;
}

/** What one round found. */
export interface ReconcileResult {
  /** Ids of the orphans the provider holds (reported now or earlier in this run). */
  orphans: string[];
  /** Ids of the clusters marked lost in this round. */
  lost: string[];
}

/**
 * Compares what the provider holds with what the store knows, at start-up and hourly.
 * Orphans (held by the provider, not live in the store) are reported to the admins once per
 * run of the bot, again only when they change, and are never deleted but by an admin's Down.
 * Lost clusters (ready in the store, gone from the provider) are marked by the cluster
 * service. The schedule is the caller's: this is a plain function of the ports.
 */
export class Reconciler {
  readonly #deps: ReconcilerDeps;
  /** Orphans reported in this run: what was said (to tell a change) and where. */
  readonly #reported = new Map<string, { orphan: ProviderCluster; said: string; ref: MessageRef | null }>();

  constructor(deps: ReconcilerDeps) {
    this.#deps = deps;
  }

  async runOnce(abortSignal?: AbortSignal): Promise<ReconcileResult> {
    const { store, provider, clock, clusters } = this.#deps;
    const listedAtMs = clock.nowInMs();
    const held = await provider.listClusters(abortSignal);
    const orphans = held.filter((cluster) => this.#isOrphan(cluster.clusterId, listedAtMs));
    for (const orphan of orphans) await this.#report(orphan);
    const orphanIds = new Set(orphans.map((orphan) => orphan.clusterId));
    for (const [clusterId, reported] of this.#reported) {
      if (!orphanIds.has(clusterId)) await this.#settle(reported.orphan, 'no longer there (or known again).');
    }

    const heldIds = new Set(held.map((cluster) => cluster.clusterId));
    const lost: string[] = [];
    for (const cluster of store.listLiveClusters()) {
      // `creating` is not lost: its nodes may not exist yet. The cluster service re-checks.
      if (cluster.state !== 'ready' || heldIds.has(cluster.id)) continue;
      if (await clusters.markLost(cluster.id, listedAtMs)) lost.push(cluster.id);
    }
    return { orphans: [...orphanIds], lost };
  }

  /**
   * The Down button of an orphan report: admins only; the deletion runs in the background and
   * the report says when it is done. Null when `clusterId` is no orphan of the provider's: the
   * button is then an ordinary cluster's, for the cluster service.
   */
  async downOrphan(actor: Actor, clusterId: string): Promise<Reply | null> {
    const { store, provider, tracker } = this.#deps;
    const row = store.getCluster(clusterId);
    if (row && isLive(row.state)) return null;
    const isAdmin = this.#deps.adminIds.includes(actor.userId);
    // Reported in this run; or, for an admin pressing an older report's button, still held.
    const orphan =
      this.#reported.get(clusterId)?.orphan ??
      (isAdmin
        ? (await provider.listClusters()).find((cluster) => cluster.clusterId === clusterId)
        : undefined);
    if (!orphan) return null;
    const name = orphan.name ?? orphan.clusterId;
    if (!isAdmin) throw new MpiboxError('forbidden', 'admins only', { verb: 'down', name, adminsOnly: true });
    void tracker.run(clusterId, async () => {
      if (!this.#isOrphan(clusterId, Infinity)) return; // known again meanwhile
      try {
        await provider.terminate(clusterId);
      } catch (error) {
        this.#deps.logger.error('orphan delete failed', { clusterId, error });
        const report = orphanReport(orphan, provider.kind, this.#deps.clock.nowInMs());
        report.blocks.splice(-1, 0, {
          kind: 'text',
          text: `Delete failed: ${explain(error)} Press Down to try again.`,
        });
        await this.#edit(clusterId, report);
        return;
      }
      this.#deps.logger.info('orphan deleted', {
        clusterId,
        by: actor.userId,
        resource: orphan.resourceName,
      });
      await this.#settle(orphan, `deleted by <@${actor.userId}>.`);
    });
    return {
      visibility: 'ephemeral',
      message: message(
        `Deleting the orphan \`${name}\` (${orphan.resourceName}); its report says when it is gone.`,
      ),
    };
  }

  /**
   * Not live in the store. A cluster whose row was deleted (or failed) after the list began
   * may have been listed just before its nodes went: not an orphan, this round.
   */
  #isOrphan(clusterId: string, listedAtMs: number): boolean {
    const row = this.#deps.store.getCluster(clusterId);
    if (!row) return true;
    return !isLive(row.state) && row.updatedAtMs < listedAtMs;
  }

  /** Posts the report of an orphan not yet reported in this run, or changed since. */
  async #report(orphan: ProviderCluster): Promise<void> {
    const said = JSON.stringify([orphan.name, orphan.nodeCount, orphan.size, orphan.resourceName]);
    if (this.#reported.get(orphan.clusterId)?.said === said) return;
    const { logger, adminChannelId, provider } = this.#deps;
    // The log always has it, so an orphan is never silent, even with nowhere to post.
    logger.warn('orphaned cluster found', {
      clusterId: orphan.clusterId,
      resource: orphan.resourceName,
      nodeCount: orphan.nodeCount,
      size: orphan.size,
      createdAtMs: orphan.createdAtMs,
    });
    const entry = { orphan, said, ref: null as MessageRef | null };
    this.#reported.set(orphan.clusterId, entry);
    if (adminChannelId === null) return;
    const report = orphanReport(orphan, provider.kind, this.#deps.clock.nowInMs());
    await this.#deps.pacer.submit(adminChannelId, `orphan-${orphan.clusterId}`, async () => {
      try {
        entry.ref = await this.#deps.chat.post(adminChannelId, report);
      } catch (error) {
        logger.warn('orphan report could not be posted', { clusterId: orphan.clusterId, error });
      }
    });
  }

  /** The orphan is gone: its report says how, and it is forgotten (reported again if it returns). */
  async #settle(orphan: ProviderCluster, outcome: string): Promise<void> {
    await this.#edit(orphan.clusterId, orphanSettled(orphan, this.#deps.provider.kind, outcome));
    this.#reported.delete(orphan.clusterId);
  }

  /** Replaces the orphan's report, when there is one. */
  async #edit(clusterId: string, report: Message): Promise<void> {
    const ref = this.#reported.get(clusterId)?.ref ?? null;
    if (!ref) return;
    await this.#deps.pacer.submit(ref.channelId, `orphan-${clusterId}`, async () => {
      try {
        await this.#deps.chat.update(ref, report);
      } catch (error) {
        this.#deps.logger.warn('orphan report could not be updated', { clusterId, error });
      }
    });
  }
}
