import { auditText, parseCommand, usageText } from '../commands/parse.ts';
import type { Command } from '../commands/types.ts';
import { MpiboxError, isMpiboxError } from '../domain/errors.ts';
import { channelRefusal, type ChannelPolicy } from '../domain/policy.ts';
import type { Button } from '../ports/chat.ts';
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import type { Metrics } from '../ports/metrics.ts';
import type { Store } from '../ports/store.ts';
import type { Actor, Limits, Reply } from './actor.ts';
import type { ClusterService } from './cluster-service.ts';
import { explain } from './explain.ts';
import type { JobService } from './job-service.ts';
import type { KeyService } from './key-service.ts';
import { message } from './messages.ts';
import type { Budgets } from './budgets.ts';
import type { CostReports } from './cost-reports.ts';
import type { Reaper } from './reaper.ts';
import type { Reconciler } from './reconciler.ts';

export interface DispatcherDeps {
  store: Store;
  clusters: ClusterService;
  keys: KeyService;
  jobs: JobService;
  /** Orphan reports' Down buttons (a cluster the store has no live record of); absent: none. */
  orphans?: Pick<Reconciler, 'downOrphan'>;
  clock: Clock;
  logger: Logger;
  limits: Limits;
  /** Idle reaping (`/mpi keep`, Keep buttons); absent: not wired (some tests). */
  reaper?: Pick<Reaper, 'keep' | 'keepById'>;
  /** Commands by verb and outcome; absent: not counted. */
  metrics?: Pick<Metrics, 'commandDone'>;
  /** Over-budget approvals; absent: not wired. */
  budgets?: Pick<Budgets, 'approve'>;
  /** `/mpi cost`; absent: not wired (some tests). */
  costReports?: Pick<CostReports, 'onDemand'>;
  /** Per-channel policy by channel id (absent: everything allowed within the limits). */
  channelPolicy?: Readonly<Record<string, ChannelPolicy>>;
}

/**
 * The single entry point of every surface: a typed `/mpi` line or a button click goes in, a
 * reply comes out. Every command and click is audited (secrets redacted, long texts cut), and
 * every error becomes a sentence through `explain`.
 */
export class Dispatcher {
  readonly #deps: DispatcherDeps;
  /** When each user was last recorded in each channel (see #touch). */
  readonly #touchedAtMs = new Map<string, number>();

  constructor(deps: DispatcherDeps) {
    this.#deps = deps;
  }

  async command(actor: Actor, text: string): Promise<Reply> {
    const parsed = parseCommand(text, { maxNodesPerCluster: this.#deps.limits.maxNodesPerCluster });
    if (!parsed.ok) {
      const result = parsed.privateKey ? 'private-key' : 'bad-input';
      this.#audit(actor, text, result);
      this.#deps.metrics?.commandDone('invalid', result);
      return { visibility: 'ephemeral', message: message(`${parsed.message}\n\n${parsed.usage}`) };
    }
    const command = parsed.command;
    return this.#run(actor, text, command.verb, () => {
      this.#checkPolicy(actor, policyVerb(command.verb), 'nodes' in command ? command.nodes : null);
      return this.#route(actor, command);
    });
  }

  async action(actor: Actor, action: Button['action'], value: string): Promise<Reply> {
    // A click acts in the channel its cluster or job belongs to (a click in App Home has no
    // channel of its own) and is checked against that channel's policy.
    const scoped = { ...actor, channelId: this.#actionChannel(action, value) ?? actor.channelId };
    return this.#run(scoped, `[button ${action} ${value}]`, `button:${action}`, () => {
      this.#checkPolicy(scoped, BUTTON_VERBS[action], null);
      switch (action) {
        case 'cluster-down':
          return this.#down(scoped, value);
        case 'cluster-keep':
          return this.#reaper().keepById(scoped, value);
        case 'job-cancel':
          return this.#deps.jobs.cancel(scoped, { jobId: Number(value) });
        case 'budget-approve':
          if (!this.#deps.budgets) throw new MpiboxError('unsupported', 'budgets are off');
          return Promise.resolve(this.#deps.budgets.approve(scoped, value));
      }
    });
  }

  /**
   * `/mpi down NAME`: a cluster of the channel; failing that, with `--yes`, an orphan by its
   * cluster id (admins only), which is how the console, without buttons, deletes one.
   */
  async #downCommand(actor: Actor, command: Extract<Command, { verb: 'down' }>): Promise<Reply> {
    try {
      return await this.#deps.clusters.down(actor, command);
    } catch (error) {
      const unknown = isMpiboxError(error) && error.code === 'not-found';
      const orphan =
        unknown && command.yes && command.name !== null
          ? await this.#deps.orphans?.downOrphan(actor, command.name)
          : null;
      if (orphan) return orphan;
      throw error;
    }
  }

  /** A Down button: an orphan report's (admins only), else a cluster card's. */
  async #down(actor: Actor, clusterId: string): Promise<Reply> {
    const orphan = (await this.#deps.orphans?.downOrphan(actor, clusterId)) ?? null;
    return orphan ?? this.#deps.clusters.downById(actor, clusterId);
  }

  async #run(actor: Actor, text: string, verb: string, work: () => Promise<Reply>): Promise<Reply> {
    try {
      await this.#touch(actor);
      const reply = await work();
      this.#audit(actor, text, 'ok');
      this.#deps.metrics?.commandDone(verb, 'ok');
      return reply;
    } catch (error) {
      const code = isMpiboxError(error) ? error.code : 'internal';
      if (code === 'internal')
        this.#deps.logger.error('command failed', { error, stack: (error as Error)?.stack });
      else
        this.#deps.logger.info('command refused', { code, fields: isMpiboxError(error) ? error.fields : {} });
      this.#audit(actor, text, code);
      this.#deps.metrics?.commandDone(verb, code);
      return { visibility: 'ephemeral', message: message(explain(error)) };
    }
  }

  #route(actor: Actor, command: Command): Promise<Reply> {
    const { clusters, keys, jobs } = this.#deps;
    switch (command.verb) {
      case 'up':
        return clusters.up(actor, command);
      case 'resize':
        return clusters.resize(actor, command);
      case 'down':
        return this.#downCommand(actor, command);
      case 'status':
        return clusters.status(actor, command);
      case 'list':
        return clusters.list(actor);
      case 'key-add':
        return keys.add(actor, command.key);
      case 'key-list':
        return Promise.resolve(keys.list(actor));
      case 'key-rm':
        return keys.remove(actor, command.fingerprint);
      case 'run':
        return jobs.run(actor, command);
      case 'jobs':
        return jobs.list(actor, command);
      case 'logs':
        return jobs.logs(actor, command);
      case 'cancel':
        return jobs.cancel(actor, command);
      case 'keep':
        return this.#reaper().keep(actor, command);
      case 'cost':
        if (!this.#deps.costReports) throw new MpiboxError('unsupported', 'cost reports are off');
        return Promise.resolve(this.#deps.costReports.onDemand(actor, command.period));
      case 'help':
        return Promise.resolve({
          visibility: 'ephemeral',
          message: message(usageText(command.topic ?? undefined)),
        });
    }
  }

  /** Records the user; a first command in a channel lets their keys onto its clusters. */
  async #touch(actor: Actor): Promise<void> {
    const { store, clock, clusters } = this.#deps;
    // Membership never goes away, and "last seen" need not be exact: write it at most every
    // ten minutes per user and channel, so a busy channel costs one write per command (audit).
    const key = `${actor.userId} ${actor.channelId}`;
    const now = clock.nowInMs();
    if ((this.#touchedAtMs.get(key) ?? -Infinity) > now - 600_000) return;
    this.#touchedAtMs.set(key, now);
    if (this.#touchedAtMs.size > 10_000)
      this.#touchedAtMs.delete(this.#touchedAtMs.keys().next().value as string);
    const isNewMember = store.touchUser(actor.userId, actor.displayName, actor.channelId, now);
    if (isNewMember && store.listKeys(actor.userId).length > 0) await clusters.refreshKeys(actor.channelId);
  }

  #actionChannel(action: Button['action'], value: string): string | null {
    const { store } = this.#deps;
    if (action === 'job-cancel') return store.getJob(Number(value))?.channelId ?? null;
    if (action === 'budget-approve') return value; // the channel whose budget it is
    // A Keep button's value is `<cluster id> <how long>`.
    return store.getCluster(value.split(' ')[0] ?? '')?.channelId ?? null;
  }

  #reaper(): NonNullable<DispatcherDeps['reaper']> {
    if (!this.#deps.reaper) throw new MpiboxError('unsupported', 'the reaper is off');
    return this.#deps.reaper;
  }

  #checkPolicy(actor: Actor, verb: string, nodes: number | null): void {
    const refusal = channelRefusal(this.#deps.channelPolicy?.[actor.channelId], verb, nodes);
    if (refusal) throw new MpiboxError('forbidden', refusal, { policy: true });
  }

  #audit(actor: Actor, text: string, result: string): void {
    try {
      this.#deps.store.audit({
        atMs: this.#deps.clock.nowInMs(),
        userId: actor.userId,
        channelId: actor.channelId,
        text: auditText(text),
        result,
      });
    } catch (error) {
      this.#deps.logger.error('audit write failed', { error });
    }
  }
}

/** The verb a policy names for a button (the same check as the command it stands for). */
const BUTTON_VERBS: Record<Button['action'], string> = {
  'cluster-down': 'down',
  'cluster-keep': 'keep',
  'job-cancel': 'cancel',
  'budget-approve': 'up',
};

/** `key-add`, `key-list`, `key-rm` are all `key` in a policy. */
function policyVerb(verb: Command['verb']): string {
  return verb.startsWith('key-') ? 'key' : verb;
}
