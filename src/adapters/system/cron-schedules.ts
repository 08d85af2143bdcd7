import cron from 'node-cron';
import type { Logger } from '../../ports/logger.ts';

/** One scheduled tick: transport only (STYLE 10), the work is a plain function. */
export interface CronEntry {
  /** For logs. */
  name: string;
  /** Five fields, or six with seconds first; null: not scheduled. */
  expression: string | null;
  /** IANA zone the expression is read in; default the machine's. */
  timeZone?: string;
  tick: () => Promise<unknown>;
}

/**
 * Starts each entry on node-cron. A tick that fails is logged and the next comes on time; a
 * tick still running when the next is due is not started twice. `stop` ends the schedules and
 * waits for ticks in flight.
 */
export function startCron(entries: readonly CronEntry[], logger: Logger): { stop(): Promise<void> } {
  const inFlight = new Set<Promise<unknown>>();
  const tasks = entries
    .filter((entry): entry is CronEntry & { expression: string } => entry.expression !== null)
    .map((entry) =>
      cron.schedule(
        entry.expression,
        async () => {
          const run = entry
            .tick()
            .catch((error: unknown) => logger.error('scheduled work failed', { name: entry.name, error }));
          inFlight.add(run);
          await run;
          inFlight.delete(run);
        },
        { name: entry.name, noOverlap: true, ...(entry.timeZone ? { timezone: entry.timeZone } : {}) },
      ),
    );
  return {
    async stop() {
      await Promise.all(tasks.map((task) => task.stop()));
      await Promise.all(inFlight);
    },
  };
}
