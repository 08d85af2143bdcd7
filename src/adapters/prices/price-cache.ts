import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Logger } from '../../ports/logger.ts';
import type { PriceQuote } from '../../ports/price-book.ts';

/** Our own file, so strict. Quotes are stored without `source`: read back, they are 'cache'. */
const PriceCacheSchema = z.strictObject({
  version: z.literal(1),
  /** When the prices were fetched, epoch ms UTC. */
  fetchedAtMs: z.number().int().nonnegative(),
  quotes: z.array(
    z.strictObject({
      usdPerHour: z.number().positive(),
      size: z.string().min(1),
      region: z.string().min(1),
      spot: z.boolean(),
      meterName: z.string(),
      effectiveFromMs: z.number().int(),
    }),
  ),
});

/** What the cache file holds. */
export interface PriceCache {
  /** When the prices were fetched, epoch ms UTC. */
  fetchedAtMs: number;
  quotes: PriceQuote[];
}

/**
 * The cache at `file`, or null when there is none yet or it cannot be used. A corrupt cache is
 * logged as a warning and ignored (the caller falls back to the snapshot; the next refresh rewrites it).
 */
export function readPriceCache(file: string, logger: Logger): PriceCache | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      logger.warn('price cache unreadable, using the snapshot', { file, reason: (error as Error).message });
    }
    return null;
  }
  let parsed: z.infer<typeof PriceCacheSchema>;
  try {
    parsed = PriceCacheSchema.parse(JSON.parse(text));
  } catch (error) {
    logger.warn('price cache corrupt, using the snapshot', { file, reason: (error as Error).message });
    return null;
  }
  return {
    fetchedAtMs: parsed.fetchedAtMs,
    quotes: parsed.quotes.map((quote) => ({ ...quote, source: 'cache' as const })),
  };
}

/** Writes the cache atomically: a temporary file in the same folder, then rename over the old one. */
export async function writePriceCache(file: string, cache: PriceCache): Promise<void> {
  const body = {
    version: 1,
    fetchedAtMs: cache.fetchedAtMs,
    quotes: cache.quotes.map(({ source: _source, ...quote }) => quote),
  } satisfies z.infer<typeof PriceCacheSchema>;
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await fs.promises.writeFile(temporary, `${JSON.stringify(body, null, 1)}\n`, { mode: 0o644 });
    await fs.promises.rename(temporary, file);
  } catch (error) {
    await fs.promises.rm(temporary, { force: true });
    throw error;
  }
}
