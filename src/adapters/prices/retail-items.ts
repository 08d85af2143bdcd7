import { z } from 'zod';
import type { PriceQuote, PricedSize } from '../../ports/price-book.ts';

/**
 * The Azure Retail Prices API's shapes, parsed permissively (STYLE rule 6): only the fields we
 * use, unknown fields ignored. Item fields per
 * https://learn.microsoft.com/en-us/rest/api/cost-management/retail-prices/azure-retail-prices
 */
export const RetailPageSchema = z.object({
  /** Items are checked one by one, so one odd item does not sink the page. */
  Items: z.array(z.unknown()),
  /** Absolute URL of the next page; null (or absent) on the last. */
  NextPageLink: z.string().nullish(),
});

export const RetailItemSchema = z.object({
  currencyCode: z.string(),
  retailPrice: z.number(),
  armRegionName: z.string(),
  armSkuName: z.string(),
  /** ISO date-time, e.g. 2020-08-01T00:00:00Z. */
  effectiveStartDate: z.string(),
  meterName: z.string(),
  productName: z.string(),
  unitOfMeasure: z.string(),
  /** Consumption | Reservation | DevTestConsumption. */
  type: z.string(),
  isPrimaryMeterRegion: z.boolean().optional(),
});

export type RetailItem = z.infer<typeof RetailItemSchema>;

/** The API version whose `$filter` values compare case-insensitively. */
export const RETAIL_API_VERSION = '2023-01-01-preview';

/** The server-side filter: pay-as-you-go VM meters of one size in one region (all OSes, Spot too). */
export function retailFilter(wanted: PricedSize): string {
  return [
    `serviceName eq 'Virtual Machines'`,
    `armRegionName eq ${odataString(wanted.region.toLowerCase())}`,
    `armSkuName eq ${odataString(wanted.size)}`,
    `priceType eq 'Consumption'`,
  ].join(' and ');
}

/** An OData string literal: single quotes, an inner quote doubled. */
function odataString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * The regular and Spot Linux quotes for one size and region among `items`, or null where there is
 * none. Keeps USD, `Consumption`, per-hour meters; drops Windows products (their price includes
 * the licence) and Low Priority meters (Batch's retired tier); Spot is the meter ending " Spot".
 * Of several, the newest `effectiveStartDate` not after `nowInMs` wins, a primary meter region first.
 */
export function pickQuotes(
  items: readonly RetailItem[],
  wanted: PricedSize,
  nowInMs: number,
): { regular: PriceQuote | null; spot: PriceQuote | null } {
  const candidates = items
    .map((item) => ({ item, effectiveFromMs: Date.parse(item.effectiveStartDate) }))
    .filter(({ item, effectiveFromMs }) => effectiveFromMs <= nowInMs && isLinuxHourly(item, wanted))
    .sort(
      (a, b) =>
        b.effectiveFromMs - a.effectiveFromMs ||
        Number(b.item.isPrimaryMeterRegion ?? false) - Number(a.item.isPrimaryMeterRegion ?? false),
    );
  const quote = (spot: boolean): PriceQuote | null => {
    const found = candidates.find(({ item }) => item.meterName.endsWith(' Spot') === spot);
    if (!found) return null;
    return {
      usdPerHour: found.item.retailPrice,
      source: 'retail-api',
      // The API's spelling of both, whatever case the caller used.
      size: found.item.armSkuName,
      region: found.item.armRegionName,
      spot,
      meterName: found.item.meterName,
      effectiveFromMs: found.effectiveFromMs,
    };
  };
  return { regular: quote(false), spot: quote(true) };
}

function isLinuxHourly(item: RetailItem, wanted: PricedSize): boolean {
  return (
    item.currencyCode === 'USD' &&
    item.type === 'Consumption' &&
    item.unitOfMeasure === '1 Hour' &&
    item.retailPrice > 0 &&
    Number.isFinite(item.retailPrice) &&
    item.armSkuName.toLowerCase() === wanted.size.toLowerCase() &&
    item.armRegionName.toLowerCase() === wanted.region.toLowerCase() &&
    !item.productName.endsWith(' Windows') &&
    !item.meterName.includes('Low Priority')
  );
}
