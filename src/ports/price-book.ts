/** One hourly price of one VM size in one region, Linux, pay-as-you-go or Spot, in US dollars. */
export interface PriceQuote {
  /** US dollars per VM-hour (Azure bills per second at this hourly rate). */
  usdPerHour: number;
  /** Where the figure came from: fetched in this process, read from the disk cache, or the shipped snapshot. */
  source: 'retail-api' | 'cache' | 'snapshot';
  /** The VM size as ARM names it (`armSkuName`), e.g. Standard_HB120rs_v3. */
  size: string;
  /** The ARM region name, e.g. eastus. */
  region: string;
  /** True for the Spot meter (evictable, discounted), false for regular pay-as-you-go. */
  spot: boolean;
  /** The meter's name, e.g. "HB120rs v3" or "F16s Spot". */
  meterName: string;
  /** When this price took effect (the meter's `effectiveStartDate`), epoch ms UTC. */
  effectiveFromMs: number;
}

/** A VM size in a region: what one refresh asks prices for. */
export interface PricedSize {
  /** ARM VM size name, e.g. Standard_D4s_v5. */
  size: string;
  /** ARM region name, e.g. westeurope. */
  region: string;
}

/** Hourly prices per VM size, region and Spot-or-not. Cost math reads it; a daily job refreshes it. */
export interface PriceBook {
  /**
   * The loaded price (fetched, cached or snapshot, newest source first); null when the size, region
   * or Spot flag is unknown. Size and region compare case-insensitively. Never does I/O.
   */
  hourlyPrice(size: string, region: string, spot: boolean): PriceQuote | null;
  /**
   * Fetches current regular and Spot prices for each (size, region) and writes the disk cache
   * (a failed write is logged, not thrown). All-or-nothing: on any fetch failure keeps the prices
   * it had and rejects with MpiboxError('provider'). Pairs not asked for, and pairs the source
   * does not price, keep their current quote (or none). Aborted: rejects with the signal's
   * reason, prices unchanged. Idempotent; run one at a time.
   */
  refresh(wanted: readonly PricedSize[], abortSignal?: AbortSignal): Promise<void>;
  /** When the loaded prices were fetched, epoch ms UTC; null when only the snapshot is loaded. */
  fetchedAtMs(): number | null;
}

/**
 * How to price a cluster that is not on Azure (a local cluster): as a configured equivalent
 * Azure size in a region. Null when the book does not know that equivalent.
 */
export function priceAs(book: PriceBook, equivalent: PricedSize, spot: boolean): PriceQuote | null {
  return book.hourlyPrice(equivalent.size, equivalent.region, spot);
}
