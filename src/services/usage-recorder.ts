import type { DomainEvents } from '../ports/events.ts';
import type { Store } from '../ports/store.ts';

/**
 * Keeps the node usage intervals (the rows cost is computed from) in step with node events:
 * an interval opens when a node starts and closes when it stops, whatever made it stop.
 * Returns the unsubscribe function.
 */
export function recordUsage(events: DomainEvents, store: Store): () => void {
  return events.subscribe((event) => {
    if (event.type === 'node-started') {
      store.openUsage({
        clusterId: event.clusterId,
        nodeName: event.nodeName,
        size: event.size,
        startedAtMs: event.atMs,
      });
    } else if (event.type === 'node-stopped') {
      store.closeUsage(event.clusterId, event.nodeName, event.atMs);
    }
  });
}
