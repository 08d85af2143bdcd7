import type { DomainEvent, DomainEvents } from '../ports/events.ts';
import type { Logger } from '../ports/logger.ts';

/** DomainEvents in memory: synchronous fan-out, a failing subscriber logged and skipped. */
export class EventBus implements DomainEvents {
  readonly #handlers = new Set<(event: DomainEvent) => void>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  publish(event: DomainEvent): void {
    for (const handler of [...this.#handlers]) {
      try {
        handler(event);
      } catch (error) {
        this.#logger.error('event subscriber failed', { event: event.type, error });
      }
    }
  }

  subscribe(handler: (event: DomainEvent) => void): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }
}
