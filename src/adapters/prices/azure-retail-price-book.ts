import path from 'node:path';
import { isMpiboxError, MpiboxError } from '../../domain/errors.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Logger } from '../../ports/logger.ts';
import type { PriceBook, PricedSize, PriceQuote } from '../../ports/price-book.ts';
import { readPriceCache, writePriceCache } from './price-cache.ts';
import { loadPriceSnapshot, snapshotQuotes, type PriceSnapshot } from './price-snapshot.ts';
import { fetchRetailItems, type RetailClientOptions } from './retail-client.ts';
import { pickQuotes, retailFilter } from './retail-items.ts';

/** The public Retail Prices API: no authentication, USD by default. */
export const RETAIL_PRICES_URL = 'https://prices.azure.com/api/retail/prices';

/** Options of `AzureRetailPriceBook`. */
export interface AzureRetailPriceBookOptions {
  /** The API endpoint; default `RETAIL_PRICES_URL`. Tests point it at the fake prices server. */
  apiUrl?: string;
  /** Where fetched prices are kept between runs (JSON, written atomically). */
  cacheFile: string;
  /** Prices to use before anything was fetched (see `loadPriceSnapshot`). */
  snapshot: PriceSnapshot;
  clock: Clock;
  logger: Logger;
  /** Default Node's global fetch. */
  fetch?: typeof fetch;
  /** Age, in ms, past which `needsRefresh` says yes. Default 24 h. */
  maxAgeInMs?: number;
  /** Pages followed per query. Default 50. */
  maxPages?: number;
  /** Tries per page on 429/5xx/network errors, the first included. Default 4. */
  maxAttempts?: number;
  /** One request's time limit, in ms. Default 30 s. */
  requestTimeoutInMs?: number;
}

const DAY_IN_MS = 24 * 60 * 60 * 1000;

/**
 * Hourly Linux prices from the Azure Retail Prices API, kept in a disk cache and refreshed by the
 * caller (daily, when `needsRefresh()`), with the shipped snapshot under both. The constructor
 * reads the cache file synchronously; build it once at startup.
 */
export class AzureRetailPriceBook implements PriceBook {
  readonly #client: RetailClientOptions;
  readonly #cacheFile: string;
  readonly #maxAgeInMs: number;
  readonly #snapshot: Map<string, PriceQuote>;
  #loaded = new Map<string, PriceQuote>();
  #fetchedAtMs: number | null = null;

  constructor(options: AzureRetailPriceBookOptions) {
    this.#client = {
      apiUrl: options.apiUrl ?? RETAIL_PRICES_URL,
      fetch: options.fetch ?? globalThis.fetch,
      clock: options.clock,
      logger: options.logger,
      maxPages: options.maxPages ?? 50,
      maxAttempts: options.maxAttempts ?? 4,
      requestTimeoutInMs: options.requestTimeoutInMs ?? 30_000,
    };
    this.#cacheFile = options.cacheFile;
    this.#maxAgeInMs = options.maxAgeInMs ?? DAY_IN_MS;
    this.#snapshot = byKey(snapshotQuotes(options.snapshot));
    const cache = readPriceCache(options.cacheFile, options.logger);
    if (cache) {
      this.#loaded = byKey(cache.quotes);
      this.#fetchedAtMs = cache.fetchedAtMs;
    }
  }

  hourlyPrice(size: string, region: string, spot: boolean): PriceQuote | null {
    const key = keyOf(size, region, spot);
    return this.#loaded.get(key) ?? this.#snapshot.get(key) ?? null;
  }

  fetchedAtMs(): number | null {
    return this.#fetchedAtMs;
  }

  /** True when nothing was ever fetched or the loaded prices are `maxAgeInMs` old or older. */
  needsRefresh(): boolean {
    return this.#fetchedAtMs === null || this.#client.clock.nowInMs() - this.#fetchedAtMs >= this.#maxAgeInMs;
  }

  /** Quotes for pairs not in `wanted` are kept; a pair the API does not price stays as it was. */
  async refresh(wanted: readonly PricedSize[], abortSignal?: AbortSignal): Promise<void> {
    const fresh = new Map<string, PriceQuote>();
    try {
      for (const pair of distinct(wanted)) {
        const items = await fetchRetailItems(this.#client, retailFilter(pair), abortSignal);
        const { regular, spot } = pickQuotes(items, pair, this.#client.clock.nowInMs());
        if (!regular && !spot) this.#client.logger.info('no retail price for this size here', { ...pair });
        for (const quote of [regular, spot])
          if (quote) fresh.set(keyOf(quote.size, quote.region, quote.spot), quote);
      }
    } catch (error) {
      abortSignal?.throwIfAborted();
      if (isMpiboxError(error)) throw error;
      throw new MpiboxError('provider', 'retail prices: fetch failed', {}, { cause: error });
    }
    const loaded = new Map([...this.#loaded, ...fresh]);
    const fetchedAtMs = this.#client.clock.nowInMs();
    try {
      await writePriceCache(this.#cacheFile, { fetchedAtMs, quotes: [...loaded.values()] });
    } catch (error) {
      // The prices are good; only the next start will not see them. Not worth failing the refresh.
      this.#client.logger.warn('price cache not written', { file: this.#cacheFile, reason: String(error) });
    }
    this.#loaded = loaded;
    this.#fetchedAtMs = fetchedAtMs;
  }
}

/** The price book of a data folder: cache at `<dataDir>/retail-prices.json`, the shipped snapshot. */
export function openDataDirPriceBook(
  dataDir: string,
  deps: Pick<AzureRetailPriceBookOptions, 'clock' | 'logger' | 'apiUrl' | 'fetch'>,
): AzureRetailPriceBook {
  return new AzureRetailPriceBook({
    ...deps,
    cacheFile: path.join(dataDir, 'retail-prices.json'),
    snapshot: loadPriceSnapshot(),
  });
}

function keyOf(size: string, region: string, spot: boolean): string {
  return `${size.toLowerCase()}|${region.toLowerCase()}|${spot ? 'spot' : 'regular'}`;
}

/** Each size/region once (compared case-insensitively), first spelling kept. */
function distinct(wanted: readonly PricedSize[]): PricedSize[] {
  const seen = new Set<string>();
  return wanted.filter((pair) => {
    const key = keyOf(pair.size, pair.region, false);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function byKey(quotes: readonly PriceQuote[]): Map<string, PriceQuote> {
  return new Map(quotes.map((quote) => [keyOf(quote.size, quote.region, quote.spot), quote]));
}
