/**
 * One price item exactly as the Azure Retail Prices API returns it (the key set and JSON types of
 * Microsoft's published samples in shared/specs/azure/retail-prices). `reservationTerm` only on
 * reservations.
 */
export interface RetailPriceItem {
  currencyCode: string;
  tierMinimumUnits: number;
  reservationTerm?: string;
  retailPrice: number;
  unitPrice: number;
  armRegionName: string;
  location: string;
  effectiveStartDate: string;
  meterId: string;
  meterName: string;
  productId: string;
  skuId: string;
  productName: string;
  skuName: string;
  serviceName: string;
  serviceId: string;
  serviceFamily: string;
  unitOfMeasure: string;
  type: 'Consumption' | 'Reservation' | 'DevTestConsumption';
  isPrimaryMeterRegion: boolean;
  armSkuName: string;
}

/** Options of `startFakePrices`. All optional. */
export interface FakePricesOptions {
  /** The price list; default Microsoft's published samples plus `seedItems()` (ours). */
  items?: RetailPriceItem[];
  /** Items per page; the real API pages by 100 (its documentation). Default 100. */
  pageSize?: number;
}

/** An answer the fake gives instead of the prices, for the next `times` requests (default 1). */
export type PricesFault =
  | { kind: 'status'; status: number; retryAfterInSeconds?: number; times?: number }
  | { kind: 'malformed'; times?: number };

/** One request as the fake saw it. */
export interface PricesRequest {
  method: string;
  path: string;
  /** `api-version`, or null when missing. */
  apiVersion: string | null;
  /** `$filter` as sent (decoded), or null. */
  filter: string | null;
  /** `$skip`, 0 when absent. */
  skip: number;
  status: number;
  /** True when a fault produced the answer. */
  injected: boolean;
}

/** A running fake prices server on 127.0.0.1. */
export interface FakePrices {
  /** Origin, e.g. http://127.0.0.1:43117. */
  url: string;
  /** The endpoint to give the client: `<url>/api/retail/prices`. */
  apiUrl: string;
  /** The price list, mutable: tests may add, change or remove items between requests. */
  items: RetailPriceItem[];
  requests: PricesRequest[];
  setPageSize(pageSize: number): void;
  fail(fault: PricesFault): void;
  close(): Promise<void>;
}
