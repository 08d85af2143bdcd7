import { armMetricsPolicy } from '../../adapters/metrics/arm-metrics-policy.ts';
import type { Metrics } from '../../ports/metrics.ts';
import { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import { ResourceManagementClient } from '@azure/arm-resources';
import type { AbortSignalLike } from '@azure/abort-controller';
import type { TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { AzureClients } from './azure-provider.ts';

/** How the SDK clients reach ARM. */
export interface AzureClientSettings {
  /** Counts ARM requests and retries; absent: not counted. */
  metrics?: Pick<Metrics, 'armRequest' | 'armRetry'>;
  credential: TokenCredential;
  subscriptionId: string;
  /** ARM base URL, e.g. https://management.azure.com (or AZURE_RESOURCE_MANAGER_ENDPOINT). */
  endpoint: string;
  /** Extra CA certificate to trust (PEM): a private cloud's, or a test's fake ARM. */
  tlsCa?: string;
  /** Throttling without Retry-After: first wait and the most time spent waiting (ms). */
  throttle?: { firstDelayInMs: number; maxTotalDelayInMs: number };
  /** The SDK's own retries of 5xx and 429 with Retry-After. */
  retry?: { maxRetries: number; retryDelayInMs: number; maxRetryDelayInMs: number };
}

/**
 * The three ARM clients mpibox uses, sharing one credential and pipeline settings. The token
 * scope follows the endpoint (`<endpoint>/.default`), so sovereign and private clouds work.
 * On top of the SDK's retries (5xx, and 429 with Retry-After), a 429 without Retry-After is
 * waited out with exponential backoff for a bounded time: ARM's throttling is per subscription
 * and passes, and `up` should succeed through it.
 */
export function makeAzureClients(settings: AzureClientSettings): AzureClients {
  const options = {
    endpoint: settings.endpoint,
    credentials: { scopes: [`${settings.endpoint.replace(/\/+$/, '')}/.default`] },
    ...(settings.tlsCa ? { tlsOptions: { ca: settings.tlsCa } } : {}),
    retryOptions: settings.retry ?? { maxRetries: 5, retryDelayInMs: 1000, maxRetryDelayInMs: 30_000 },
    additionalPolicies: [
      {
        policy: throttlePolicy(settings.throttle ?? { firstDelayInMs: 1000, maxTotalDelayInMs: 120_000 }),
        position: 'perCall' as const,
      },
      // perRetry: after signing, so it sees every attempt (the SDK's retries and throttlePolicy's).
      ...(settings.metrics
        ? [{ policy: armMetricsPolicy(settings.metrics), position: 'perRetry' as const }]
        : []),
    ],
  };
  return {
    resources: new ResourceManagementClient(settings.credential, settings.subscriptionId, options),
    network: new NetworkManagementClient(settings.credential, settings.subscriptionId, options),
    compute: new ComputeManagementClient(settings.credential, settings.subscriptionId, options),
  };
}

/** Resends a request answered 429 without Retry-After, waiting 1×, 2×, 4×… up to a total. */
export function throttlePolicy(limits: {
  firstDelayInMs: number;
  maxTotalDelayInMs: number;
}): PipelinePolicy {
  return {
    name: 'mpiboxThrottleBackoff',
    async sendRequest(request, next) {
      let waitedInMs = 0;
      for (let delayInMs = limits.firstDelayInMs; ; delayInMs *= 2) {
        const response = await next(request);
        const unexplained = response.status === 429 && !response.headers.get('retry-after');
        if (!unexplained || waitedInMs + delayInMs > limits.maxTotalDelayInMs) return response;
        await sleep(delayInMs, request.abortSignal);
        waitedInMs += delayInMs;
      }
    },
  };
}

function sleep(delayInMs: number, abortSignal?: AbortSignalLike): Promise<void> {
  return new Promise((resolve, reject) => {
    const aborted = () => new Error('the request was aborted');
    if (abortSignal?.aborted) return reject(aborted());
    const timer = setTimeout(resolve, delayInMs);
    abortSignal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(aborted());
      },
      { once: true },
    );
  });
}
