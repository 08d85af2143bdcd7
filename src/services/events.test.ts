import { describe, expect, it } from 'vitest';
import { makeHarness } from '../../test/fakes/harness.ts';
import { EventBus } from './event-bus.ts';

describe('domain events', () => {
  it('tells subscribers of a cluster’s life: states, nodes started, removed and deleted, and usage follows', async () => {
    const h = makeHarness();

    await h.run('UALICE', '/mpi up 2 demo');
    await h.run('UALICE', '/mpi resize demo 1');
    await h.run('UALICE', '/mpi down demo --yes');
    await h.settle();

    const id = h.store.listUsage(
      h.published.find((event) => event.type === 'node-started')?.clusterId ?? '',
    )[0]?.clusterId;
    const summary = h.published.map((event) =>
      event.type === 'cluster-state-changed'
        ? `${event.from}->${event.to}`
        : event.type === 'node-started'
          ? `start ${event.nodeName}`
          : event.type === 'node-stopped'
            ? `stop ${event.nodeName} ${event.reason}`
            : event.type,
    );
    expect(summary).toEqual([
      'start demo-0',
      'start demo-1',
      'creating->ready',
      'ready->resizing',
      'stop demo-1 removed',
      'resizing->ready',
      'ready->deleting',
      'stop demo-0 deleted',
      'deleting->deleted',
    ]);
    // Usage intervals come from those events: both nodes opened, every interval closed.
    const usage = h.store.listUsage(id ?? '');
    expect(usage.map((row) => row.nodeName).sort()).toEqual(['demo-0', 'demo-1']);
    expect(usage.every((row) => row.stoppedAtMs !== null)).toBe(true);
  });

  it('says when a job ends, with its final state', async () => {
    const h = makeHarness();
    await h.run('UALICE', '/mpi up 1 demo');

    await h.run('UALICE', '/mpi run -- ./solver');
    await h.until(() => h.runner.jobs.size === 1, 'job started');
    h.runner.end(1, { kind: 'exited', exitCode: 3 });
    await h.jobTracker.idle();
    await h.settle();

    const ended = h.published.filter((event) => event.type === 'job-ended');
    expect(ended).toEqual([expect.objectContaining({ type: 'job-ended', jobId: 1, state: 'failed' })]);
  });

  it('keeps publishing to the others when a subscriber throws, and logs it', () => {
    const errors: string[] = [];
    const bus = new EventBus({ ...silentLogger, error: (message: string) => void errors.push(message) });
    const seen: string[] = [];
    bus.subscribe(() => {
      throw new Error('broken subscriber');
    });
    const unsubscribe = bus.subscribe((event) => seen.push(event.type));

    bus.publish({ type: 'job-ended', jobId: 1, clusterId: 'c', state: 'succeeded', atMs: 1 });
    unsubscribe();
    bus.publish({ type: 'job-ended', jobId: 2, clusterId: 'c', state: 'succeeded', atMs: 2 });

    expect(seen).toEqual(['job-ended']);
    expect(errors).toEqual(['event subscriber failed', 'event subscriber failed']);
  });
});

const silentLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
