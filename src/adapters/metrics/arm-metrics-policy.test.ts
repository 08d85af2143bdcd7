import { ResourceManagementClient } from '@azure/arm-resources';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  fakeArmClientOptions,
  fakeTokenCredential,
  startFakeArm,
  type FakeArm,
} from '../../../test/fake-arm/index.ts';
import type { Metrics, RetryReason } from '../../ports/metrics.ts';
import { throttlePolicy } from '../../providers/azure/azure-clients.ts';
import { armMetricsPolicy } from './arm-metrics-policy.ts';

/** The Metrics port's ARM half, remembering every call. */
function recordingMetrics() {
  const calls = { requests: [] as number[], retries: [] as RetryReason[] };
  const metrics: Pick<Metrics, 'armRequest' | 'armRetry'> = {
    armRequest: (status) => void calls.requests.push(status),
    armRetry: (reason) => void calls.retries.push(reason),
  };
  return { calls, metrics };
}

/** A real ARM client with the policies as makeAzureClients would add them, fast delays. */
function resourcesClient(
  fake: Pick<FakeArm, 'url' | 'certPem' | 'token' | 'subscriptionId'>,
  metrics: Pick<Metrics, 'armRequest' | 'armRetry'>,
) {
  return new ResourceManagementClient(fakeTokenCredential(fake.token), fake.subscriptionId, {
    ...fakeArmClientOptions(fake),
    additionalPolicies: [
      { policy: throttlePolicy({ firstDelayInMs: 5, maxTotalDelayInMs: 100 }), position: 'perCall' },
      { policy: armMetricsPolicy(metrics), position: 'perRetry' },
    ],
  });
}

describe('armMetricsPolicy with a real ARM client against the fake ARM', () => {
  let fake: FakeArm;

  beforeEach(async () => {
    fake = await startFakeArm();
  });
  afterEach(() => fake.close());

  it('counts each attempt by status and each resend by why: SDK retries and the throttle backoff', async () => {
    const { calls, metrics } = recordingMetrics();
    const client = resourcesClient(fake, metrics);
    await client.resourceGroups.createOrUpdate('g', { location: 'eastus' });
    fake.failRequest({ method: 'GET', path: '/resourcegroups/g', status: 500 });
    fake.failRequest({ method: 'GET', path: '/resourcegroups/g', status: 429 }); // no Retry-After
    fake.failRequest({ method: 'GET', path: '/resourcegroups/g', status: 429, retryAfterInSeconds: 0 });

    const group = await client.resourceGroups.get('g');

    expect(group.name).toBe('g');
    const gets = fake.requests.filter((request) => request.method === 'GET').map((request) => request.status);
    expect(gets).toEqual([500, 429, 429, 200]);
    expect(calls.requests).toEqual([201, 500, 429, 429, 200]);
    expect(calls.retries).toEqual(['server-error', 'rate-limited', 'rate-limited']);
  });

  it('sees no SDK retry when added perCall (why it goes perRetry)', async () => {
    const { calls, metrics } = recordingMetrics();
    const client = new ResourceManagementClient(fakeTokenCredential(fake.token), fake.subscriptionId, {
      ...fakeArmClientOptions(fake),
      additionalPolicies: [{ policy: armMetricsPolicy(metrics), position: 'perCall' }],
    });
    fake.failRequest({ method: 'GET', path: '/resourcegroups/g', status: 500 });

    await expect(client.resourceGroups.get('g')).rejects.toThrow(); // 500, then 404: no such group

    expect(fake.requests.map((request) => request.status)).toEqual([500, 404]);
    expect(calls).toEqual({ requests: [404], retries: [] });
  });

  it('counts separate calls as requests, not retries', async () => {
    const { calls, metrics } = recordingMetrics();
    const client = resourcesClient(fake, metrics);

    await client.resourceGroups.createOrUpdate('g', { location: 'eastus' });
    await client.resourceGroups.get('g');
    await client.resourceGroups.get('g');

    expect(calls).toEqual({ requests: [201, 200, 200], retries: [] });
  });

  it('counts attempts with no answer as status 0 and their retries as network', async () => {
    const { calls, metrics } = recordingMetrics();
    const closed = { ...fake, url: 'https://127.0.0.1:9' };

    await expect(resourcesClient(closed, metrics).resourceGroups.get('g')).rejects.toThrow();

    expect(calls.requests).toEqual([0, 0, 0, 0]); // the fake's options allow 3 retries
    expect(calls.retries).toEqual(['network', 'network', 'network']);
  });
});
