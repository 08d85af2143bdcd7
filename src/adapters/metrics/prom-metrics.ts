import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { JobState } from '../../domain/job.ts';
import type { DomainEvents } from '../../ports/events.ts';
import type { Logger } from '../../ports/logger.ts';
import type { Metrics, RetryReason } from '../../ports/metrics.ts';
import { addStateGauges, type StateSource } from './state-gauges.ts';

export type { StateSource } from './state-gauges.ts';

export interface PromMetricsOptions {
  /**
   * Read at every scrape for the state gauges (clusters, nodes, jobs, spend). May be given
   * later with `readStateFrom`: the counters are needed before the store exists (main.ts makes
   * the Slack clients first); until then the state gauges have no samples (spend reads 0).
   */
  store?: StateSource;
  logger: Logger;
  /** Also expose Node's own metrics (CPU, memory, event-loop lag, GC) on this registry. Default true. */
  processMetrics?: boolean;
}

/**
 * The Metrics port on prom-client, on a registry of its own (never prom-client's global one,
 * so two instances — tests — never share a series). Counters and the histogram follow calls;
 * the gauges of clusters, nodes, jobs and spend are read from the Store when scraped, so they
 * are never out of date and cost nothing between scrapes.
 */
export class PromMetrics implements Metrics {
  /** Serve `registry.metrics()` with `registry.contentType`. */
  readonly registry = new Registry();
  readonly #commands: Counter<'verb' | 'outcome'>;
  readonly #ack: Histogram<'kind'>;
  readonly #slackRateLimited: Counter<'method'>;
  readonly #slackRetries: Counter<'reason'>;
  readonly #armRequests: Counter<'status'>;
  readonly #armRetries: Counter<'reason'>;
  readonly #jobsEnded: Counter<'state'>;
  #store: StateSource | null;

  constructor(options: PromMetricsOptions) {
    const registers = [this.registry];
    this.#store = options.store ?? null;
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.#commands = new Counter({
      name: 'mpibox_commands_total',
      help: 'Commands and button clicks handled, by verb (button:<action> for clicks) and outcome (ok or the error code).',
      labelNames: ['verb', 'outcome'],
      registers,
    });
    this.#ack = new Histogram({
      name: 'mpibox_ack_latency_seconds',
      help: 'Time from a Slack request reaching its listener to its acknowledgement (Slack allows 3 s).',
      labelNames: ['kind'],
      // Commands answered in the ack itself wait up to a second for their answer (slack-app.ts).
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5],
      registers,
    });
    this.#slackRateLimited = new Counter({
      name: 'mpibox_slack_rate_limited_total',
      help: 'Slack Web API calls answered HTTP 429, by method.',
      labelNames: ['method'],
      registers,
    });
    this.#slackRetries = new Counter({
      name: 'mpibox_slack_retries_total',
      help: 'Slack Web API calls sent again, by why the previous attempt failed.',
      labelNames: ['reason'],
      registers,
    });
    this.#armRequests = new Counter({
      name: 'mpibox_arm_requests_total',
      help: 'HTTP attempts to Azure Resource Manager, retries included, by status (0: no response).',
      labelNames: ['status'],
      registers,
    });
    this.#armRetries = new Counter({
      name: 'mpibox_arm_retries_total',
      help: 'Azure Resource Manager requests sent again, by why the previous attempt failed.',
      labelNames: ['reason'],
      registers,
    });
    this.#jobsEnded = new Counter({
      name: 'mpibox_jobs_ended_total',
      help: 'Jobs that reached a final state since the bot started, by that state.',
      labelNames: ['state'],
      registers,
    });
    for (const state of TERMINAL_JOB_STATES) this.#jobsEnded.inc({ state }, 0);
    addStateGauges(registers, () => this.#store, options.logger);
  }

  /** Reads the state gauges from `store` from the next scrape on. */
  readStateFrom(store: StateSource): void {
    this.#store = store;
  }

  commandDone(verb: string, outcome: string): void {
    this.#commands.inc({ verb: labelValue(verb), outcome: labelValue(outcome) });
  }

  ackLatency(seconds: number, kind: 'command' | 'action'): void {
    if (Number.isFinite(seconds) && seconds >= 0) this.#ack.observe({ kind }, seconds);
  }

  slackRateLimited(method: string): void {
    this.#slackRateLimited.inc({ method: labelValue(method) });
  }

  slackRetry(reason: RetryReason): void {
    this.#slackRetries.inc({ reason });
  }

  armRequest(status: number): void {
    this.#armRequests.inc({ status: Number.isInteger(status) ? String(status) : '0' });
  }

  armRetry(reason: RetryReason): void {
    this.#armRetries.inc({ reason });
  }

  /** Counts jobs ending from the domain events; returns the unsubscribe function. */
  observe(events: DomainEvents): () => void {
    return events.subscribe((event) => {
      if (event.type === 'job-ended') this.#jobsEnded.inc({ state: event.state });
    });
  }
}

const TERMINAL_JOB_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled', 'lost'];

/** A label value from a small fixed set; anything else (a bug upstream) becomes `other`. */
function labelValue(value: string): string {
  return /^[\w.:-]{1,64}$/.test(value) ? value : 'other';
}
