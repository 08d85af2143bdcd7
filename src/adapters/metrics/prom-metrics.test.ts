import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryLogger } from '../../../test/fakes/harness.ts';
import { EventBus } from '../../services/event-bus.ts';
import { newCluster, newJob } from '../store-sqlite/fixtures.ts';
import { openSqliteStore, type SqliteStore } from '../store-sqlite/sqlite-store.ts';
import { parsePromText, sampleValue } from './fixtures.ts';
import { PromMetrics } from './prom-metrics.ts';

async function scrape(metrics: PromMetrics) {
  return parsePromText(await metrics.registry.metrics());
}

describe('PromMetrics', () => {
  let store: SqliteStore;
  let logger: MemoryLogger;

  beforeEach(() => {
    store = openSqliteStore(':memory:');
    logger = new MemoryLogger();
  });
  afterEach(() => store.close());

  it('counts commands, acks, Slack and ARM calls under mpibox_ names', async () => {
    const metrics = new PromMetrics({ store, logger, processMetrics: false });

    metrics.commandDone('up', 'ok');
    metrics.commandDone('up', 'ok');
    metrics.commandDone('button:cluster-down', 'forbidden');
    metrics.commandDone('weird verb\n{"x"}', 'ok');
    metrics.ackLatency(0.02, 'command');
    metrics.ackLatency(1.2, 'command');
    metrics.ackLatency(0.004, 'action');
    metrics.ackLatency(Number.NaN, 'action');
    metrics.slackRateLimited('chat.postMessage');
    metrics.slackRetry('rate-limited');
    metrics.slackRetry('server-error');
    metrics.armRequest(200);
    metrics.armRequest(429);
    metrics.armRequest(0);
    metrics.armRetry('rate-limited');
    const families = await scrape(metrics);

    expect(sampleValue(families, 'mpibox_commands_total', { verb: 'up', outcome: 'ok' })).toBe(2);
    expect(
      sampleValue(families, 'mpibox_commands_total', { verb: 'button:cluster-down', outcome: 'forbidden' }),
    ).toBe(1);
    expect(sampleValue(families, 'mpibox_commands_total', { verb: 'other', outcome: 'ok' })).toBe(1);
    expect(families.get('mpibox_ack_latency_seconds')?.type).toBe('histogram');
    expect(sampleValue(families, 'mpibox_ack_latency_seconds_bucket', { kind: 'command', le: '0.025' })).toBe(
      1,
    );
    expect(sampleValue(families, 'mpibox_ack_latency_seconds_bucket', { kind: 'command', le: '1.5' })).toBe(
      2,
    );
    expect(sampleValue(families, 'mpibox_ack_latency_seconds_count', { kind: 'command' })).toBe(2);
    expect(sampleValue(families, 'mpibox_ack_latency_seconds_sum', { kind: 'command' })).toBeCloseTo(1.22);
    expect(sampleValue(families, 'mpibox_ack_latency_seconds_count', { kind: 'action' })).toBe(1);
    expect(sampleValue(families, 'mpibox_slack_rate_limited_total', { method: 'chat.postMessage' })).toBe(1);
    expect(sampleValue(families, 'mpibox_slack_retries_total', { reason: 'rate-limited' })).toBe(1);
    expect(sampleValue(families, 'mpibox_slack_retries_total', { reason: 'server-error' })).toBe(1);
    expect(sampleValue(families, 'mpibox_arm_requests_total', { status: '200' })).toBe(1);
    expect(sampleValue(families, 'mpibox_arm_requests_total', { status: '429' })).toBe(1);
    expect(sampleValue(families, 'mpibox_arm_requests_total', { status: '0' })).toBe(1);
    expect(sampleValue(families, 'mpibox_arm_retries_total', { reason: 'rate-limited' })).toBe(1);
    const ours = [...families.keys()].filter((name) => !name.startsWith('mpibox_'));
    expect(ours).toEqual([]);
  });

  it('reads clusters, nodes, jobs and spend from the store at each scrape', async () => {
    const metrics = new PromMetrics({ store, logger, processMetrics: false });
    store.insertCluster(newCluster({ id: 'c-1', name: 'alpha' }));
    store.updateCluster('c-1', { state: 'ready', updatedAtMs: 2_000 });
    store.insertCluster(newCluster({ id: 'c-2', name: 'beta' }));
    store.insertCluster(newCluster({ id: 'c-3', name: 'gone' }));
    store.setNodes('c-1', [node('alpha', 0, 'running'), node('alpha', 1, 'running')]);
    store.setNodes('c-2', [node('beta', 0, 'pending')]);
    store.setNodes('c-3', [node('gone', 0, 'terminated')]);
    store.updateCluster('c-3', { state: 'deleted', deletedAtMs: 3_000, updatedAtMs: 3_000 });
    store.openUsage({
      clusterId: 'c-1',
      nodeName: 'alpha-0',
      size: 'D2',
      startedAtMs: 1_000,
      usdPerHour: 0.096,
    });
    store.openUsage({
      clusterId: 'c-1',
      nodeName: 'alpha-1',
      size: 'D2',
      startedAtMs: 1_000,
      usdPerHour: 0.096,
    });
    store.openUsage({
      clusterId: 'c-2',
      nodeName: 'beta-0',
      size: 'D2',
      startedAtMs: 1_000,
      usdPerHour: null,
    });
    store.openUsage({ clusterId: 'c-2', nodeName: 'beta-9', size: 'D2', startedAtMs: 1_000, usdPerHour: 5 });
    store.closeUsage('c-2', 'beta-9', 2_000);
    store.insertJob(newJob({ clusterId: 'c-1' }));
    const running = store.insertJob(newJob({ clusterId: 'c-1' }));
    store.updateJob(running.id, { state: 'running', startedAtMs: 11_000 });
    const done = store.insertJob(newJob({ clusterId: 'c-1' }));
    store.updateJob(done.id, { state: 'succeeded', endedAtMs: 12_000, exitCode: 0 });

    const families = await scrape(metrics);
    store.updateCluster('c-2', { state: 'stopped', updatedAtMs: 4_000 });
    store.closeUsage('c-1', 'alpha-1', 5_000);
    const later = await scrape(metrics);

    expect(sampleValue(families, 'mpibox_clusters', { state: 'ready' })).toBe(1);
    expect(sampleValue(families, 'mpibox_clusters', { state: 'creating' })).toBe(1);
    expect(sampleValue(families, 'mpibox_clusters', { state: 'stopped' })).toBe(0);
    expect(() => sampleValue(families, 'mpibox_clusters', { state: 'deleted' })).toThrow();
    expect(sampleValue(families, 'mpibox_nodes', { state: 'running' })).toBe(2);
    expect(sampleValue(families, 'mpibox_nodes', { state: 'pending' })).toBe(1);
    expect(sampleValue(families, 'mpibox_nodes', { state: 'terminated' })).toBe(0);
    expect(sampleValue(families, 'mpibox_jobs', { state: 'queued' })).toBe(1);
    expect(sampleValue(families, 'mpibox_jobs', { state: 'running' })).toBe(1);
    expect(sampleValue(families, 'mpibox_estimated_spend_usd_per_hour')).toBeCloseTo(0.192);
    expect(sampleValue(families, 'mpibox_unpriced_billing_nodes')).toBe(1);
    expect(sampleValue(later, 'mpibox_clusters', { state: 'creating' })).toBe(0);
    expect(sampleValue(later, 'mpibox_clusters', { state: 'stopped' })).toBe(1);
    expect(sampleValue(later, 'mpibox_estimated_spend_usd_per_hour')).toBeCloseTo(0.096);
  });

  it('counts ended jobs from the domain events, every final state from zero', async () => {
    const metrics = new PromMetrics({ store, logger, processMetrics: false });
    const events = new EventBus(logger);
    const unsubscribe = metrics.observe(events);

    events.publish({ type: 'job-ended', jobId: 1, clusterId: 'c-1', state: 'failed', atMs: 1 });
    events.publish({ type: 'job-ended', jobId: 2, clusterId: 'c-1', state: 'failed', atMs: 2 });
    unsubscribe();
    events.publish({ type: 'job-ended', jobId: 3, clusterId: 'c-1', state: 'failed', atMs: 3 });
    const families = await scrape(metrics);

    expect(sampleValue(families, 'mpibox_jobs_ended_total', { state: 'failed' })).toBe(2);
    expect(sampleValue(families, 'mpibox_jobs_ended_total', { state: 'succeeded' })).toBe(0);
  });

  it('keeps the last state values when the store cannot be read, and says so', async () => {
    const metrics = new PromMetrics({ store, logger, processMetrics: false });
    store.insertCluster(newCluster({ id: 'c-1', name: 'alpha' }));
    const before = await scrape(metrics);

    store.close();
    const after = await scrape(metrics);

    expect(sampleValue(before, 'mpibox_clusters', { state: 'creating' })).toBe(1);
    expect(sampleValue(after, 'mpibox_clusters', { state: 'creating' })).toBe(1);
    expect(sampleValue(after, 'mpibox_metrics_store_errors_total')).toBeGreaterThan(0);
    expect(logger.lines.some((line) => line.message === 'metrics: store read failed')).toBe(true);
  });

  it('counts before it has a store, and reads the state once given one', async () => {
    const metrics = new PromMetrics({ logger, processMetrics: false });
    store.insertCluster(newCluster({ id: 'c-1', name: 'alpha' }));
    metrics.commandDone('list', 'ok');

    const before = await scrape(metrics);
    metrics.readStateFrom(store);
    const after = await scrape(metrics);

    expect(sampleValue(before, 'mpibox_commands_total', { verb: 'list', outcome: 'ok' })).toBe(1);
    expect(before.get('mpibox_clusters')?.samples).toEqual([]);
    expect(sampleValue(after, 'mpibox_clusters', { state: 'creating' })).toBe(1);
  });

  it('keeps two instances apart and exposes Node process metrics when asked', async () => {
    const first = new PromMetrics({ store, logger });
    const second = new PromMetrics({ store, logger });

    first.commandDone('list', 'ok');
    const families = await scrape(second);

    expect(sampleValue(await scrape(first), 'mpibox_commands_total', { verb: 'list', outcome: 'ok' })).toBe(
      1,
    );
    expect(() => sampleValue(families, 'mpibox_commands_total', { verb: 'list', outcome: 'ok' })).toThrow();
    expect(families.get('process_cpu_seconds_total')?.type).toBe('counter');
    expect(families.get('nodejs_eventloop_lag_seconds')?.type).toBe('gauge');
  });
});

describe('parsePromText (test fixture)', () => {
  it('reads HELP, TYPE, labels with escapes, special values and histograms', () => {
    const text = [
      '# HELP a_total A counter.',
      '# TYPE a_total counter',
      'a_total{x="q\\"uote\\\\ \\n"} 3',
      '# TYPE h histogram',
      'h_bucket{le="1"} 1',
      'h_bucket{le="+Inf"} 2',
      'h_sum 2.5',
      'h_count 2',
      '# TYPE g gauge',
      'g NaN',
      '',
    ].join('\n');

    const families = parsePromText(text);

    expect(sampleValue(families, 'a_total', { x: 'q"uote\\ \n' })).toBe(3);
    expect(sampleValue(families, 'h_count')).toBe(2);
    expect(sampleValue(families, 'g')).toBeNaN();
  });

  it.each([
    ['a comment that is not HELP or TYPE', '# hello\n'],
    ['a malformed sample', 'a{x=1} 1\n'],
    ['a value that is not a number', 'a one\n'],
    ['a TYPE after samples', 'a 1\n# TYPE a gauge\n'],
    ['a series twice', 'a 1\na 2\n'],
    ['a family split in two', 'a 1\nb 1\na{x="1"} 1\n'],
    ['a negative counter', '# TYPE a counter\na -1\n'],
    ['buckets that shrink', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\n'],
    ['no final newline', 'a 1'],
  ])('refuses %s', (_, text) => {
    expect(() => parsePromText(text)).toThrow();
  });
});

function node(cluster: string, index: number, state: 'running' | 'pending' | 'terminated') {
  return { index, name: `${cluster}-${index}`, host: '127.0.0.1', port: 2200 + index, slots: 2, state };
}
