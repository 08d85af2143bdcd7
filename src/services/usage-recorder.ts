import type { DomainEvents } from '../ports/events.ts';
import type { Store } from '../ports/store.ts';
import type { Pricing } from './cost-service.ts';

/**
 * Keeps the node usage intervals (the rows cost is computed from) in step with node events:
 * an interval opens when a node is allocated, at the price in force then, and closes when it
 * stops billing, whatever made it stop.
 * Returns the unsubscribe function.
 */
export function recordUsage(events: DomainEvents, store: Store, pricing: Pricing | null = null): () => void {
  return events.subscribe((event) => {
    if (event.type === 'node-started') {
      // The price in force when the node was allocated: a later price change does not rewrite history.
      const price = pricing?.nodeHourly(event.size, event.spot) ?? null;
      store.openUsage({
        clusterId: event.clusterId,
        nodeName: event.nodeName,
        size: event.size,
        startedAtMs: event.atMs,
        region: price?.region ?? null,
        spot: event.spot,
        usdPerHour: price?.usdPerHour ?? null,
      });
    } else if (event.type === 'node-stopped') {
      store.closeUsage(event.clusterId, event.nodeName, event.atMs);
    }
  });
}
