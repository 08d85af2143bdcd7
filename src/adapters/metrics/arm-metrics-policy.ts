import { isRestError, type PipelinePolicy, type PipelineRequest } from '@azure/core-rest-pipeline';
import type { Metrics, RetryReason } from '../../ports/metrics.ts';

/**
 * An `@azure/core-rest-pipeline` policy counting every HTTP attempt to ARM by status, and every
 * resend. Add it with `position: 'perRetry'` (core-client then places it after the Sign phase,
 * next to the HTTP client): a `perCall` policy sits before the Retry phase and sees one call
 * however often the SDK retries it.
 *
 * A resend is the same request object coming through again: the SDK's retry policies (5xx,
 * 429 with Retry-After), mpibox's throttle backoff (azure-clients.ts, 429 without), and a
 * token refresh on a 401 challenge all send the object they were given once more. A poll of a
 * long-running operation is a new request, and so not a retry.
 */
export function armMetricsPolicy(metrics: Pick<Metrics, 'armRequest' | 'armRetry'>): PipelinePolicy {
  // Weak: a request's entry goes with the request, however its call ends.
  const lastFailure = new WeakMap<PipelineRequest, RetryReason>();
  return {
    name: 'mpiboxArmMetrics',
    async sendRequest(request, next) {
      const previous = lastFailure.get(request);
      if (previous !== undefined) metrics.armRetry(previous);
      try {
        const response = await next(request);
        metrics.armRequest(response.status);
        lastFailure.set(request, reasonOf(response.status));
        return response;
      } catch (error) {
        // Here, after the SDK's deserialisation, a throw means no response: a connection refused
        // or reset, a timeout, an abort. (A RestError carrying a status is counted with it.)
        const status = isRestError(error) ? (error.statusCode ?? 0) : 0;
        metrics.armRequest(status);
        lastFailure.set(request, status === 0 ? 'network' : reasonOf(status));
        throw error;
      }
    },
  };
}

function reasonOf(status: number): RetryReason {
  if (status === 429) return 'rate-limited';
  return status >= 500 ? 'server-error' : 'other';
}
