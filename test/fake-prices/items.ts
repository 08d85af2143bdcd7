import { createHash } from 'node:crypto';
import type { RetailPriceItem } from './types.ts';

/*
 * OUR fixtures, not Microsoft's: the prices below are made up for tests (they deliberately differ
 * from the shipped snapshot so a test can tell the sources apart). Only the item shape follows
 * Microsoft's published samples; shared/specs has no real response for these sizes.
 */

/** Made-up Linux pay-as-you-go USD per hour in eastus; other regions scale by `REGION_FACTOR`. */
export const FAKE_BASE_USD_PER_HOUR: Record<string, number> = {
  Standard_HB120rs_v3: 3.61,
  Standard_HB176rs_v4: 7.21,
  Standard_HC44rs: 3.17,
  Standard_HB120rs_v2: 3.62,
  Standard_D4s_v5: 0.193,
  Standard_D2s_v5: 0.097,
};

const REGION_FACTOR: Record<string, number> = {
  eastus: 1,
  southcentralus: 1.01,
  westeurope: 1.1,
  westus2: 1.02,
};
const LOCATION: Record<string, string> = {
  eastus: 'US East',
  southcentralus: 'US South Central',
  westeurope: 'EU West',
  westus2: 'US West 2',
};
const SERIES: Record<string, string> = {
  Standard_HB120rs_v3: 'HBrsv3 Series',
  Standard_HB176rs_v4: 'HBv4 Series',
  Standard_HC44rs: 'HCS Series',
  Standard_HB120rs_v2: 'HBrsv2 Series',
  Standard_D4s_v5: 'Dsv5 Series',
  Standard_D2s_v5: 'Dsv5 Series',
};

/** Effective dates of the seeds: current, superseded, and one after the FakeClock's default now (2026-11-25). */
export const CURRENT_FROM = '2024-04-01T00:00:00Z';
export const OLD_FROM = '2021-01-01T00:00:00Z';
export const FUTURE_FROM = '2027-06-01T00:00:00Z';
/** Decoys (Windows, Low Priority, DevTest, reservation) are newer than the right answer, so a missing filter shows. */
export const DECOY_FROM = '2025-01-01T00:00:00Z';

/** The seeds' Linux price for a size/region: what a correct client must pick. */
export function fakeLinuxUsdPerHour(size: string, region: string, spot: boolean): number {
  const regular = (FAKE_BASE_USD_PER_HOUR[size] ?? 0) * (REGION_FACTOR[region] ?? 1);
  return round(spot ? regular * 0.2 : regular);
}

/** One VM meter in the API's shape. */
export function vmItem(fields: {
  size: string;
  region: string;
  meterName: string;
  productName: string;
  retailPrice: number;
  effectiveStartDate?: string;
  type?: RetailPriceItem['type'];
  reservationTerm?: string;
}): RetailPriceItem {
  const id = createHash('sha256').update(JSON.stringify(fields)).digest('hex');
  const productId = `DZH318Z0${id.slice(0, 4).toUpperCase()}`;
  return {
    currencyCode: 'USD',
    tierMinimumUnits: 0.0,
    ...(fields.reservationTerm ? { reservationTerm: fields.reservationTerm } : {}),
    retailPrice: fields.retailPrice,
    unitPrice: fields.retailPrice,
    armRegionName: fields.region,
    location: LOCATION[fields.region] ?? fields.region,
    effectiveStartDate: fields.effectiveStartDate ?? CURRENT_FROM,
    meterId: `${id.slice(4, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20, 24)}-${id.slice(24, 36)}`,
    meterName: fields.meterName,
    productId,
    skuId: `${productId}/${id.slice(36, 40).toUpperCase()}`,
    productName: fields.productName,
    skuName: fields.meterName,
    serviceName: 'Virtual Machines',
    serviceId: 'DZH313Z7MMC8',
    serviceFamily: 'Compute',
    unitOfMeasure: '1 Hour',
    type: fields.type ?? 'Consumption',
    isPrimaryMeterRegion: true,
    armSkuName: fields.size,
  };
}

/**
 * For every size and region: the Linux meter (current, superseded and future-dated), Spot, Low
 * Priority, Windows and Windows Spot, a DevTest meter and a 1-year reservation. Only the current
 * Linux and Linux Spot meters are the right answer; every other item is priced to be noticed.
 */
export function seedItems(): RetailPriceItem[] {
  return Object.keys(FAKE_BASE_USD_PER_HOUR).flatMap((size) =>
    Object.keys(REGION_FACTOR).flatMap((region) => {
      const meter = size.replace(/^Standard_/, '').replaceAll('_', ' ');
      const linux = `Virtual Machines ${SERIES[size]}`;
      const windows = `${linux} Windows`;
      const price = fakeLinuxUsdPerHour(size, region, false);
      const item = (meterName: string, productName: string, retailPrice: number, more = {}) =>
        vmItem({ size, region, meterName, productName, retailPrice: round(retailPrice), ...more });
      const decoy = { effectiveStartDate: DECOY_FROM };
      return [
        item(meter, windows, price + 1.5, decoy),
        item(`${meter} Spot`, windows, price * 0.2 + 0.4, decoy),
        item(`${meter} Low Priority`, linux, price * 0.15, decoy),
        item(meter, linux, price * 0.7, { ...decoy, type: 'DevTestConsumption' }),
        item(meter, linux, price * 5000, { ...decoy, type: 'Reservation', reservationTerm: '1 Year' }),
        item(meter, linux, price * 1.3, { effectiveStartDate: OLD_FROM }),
        item(meter, linux, price * 0.5, { effectiveStartDate: FUTURE_FROM }),
        item(meter, linux, price),
        item(`${meter} Spot`, linux, fakeLinuxUsdPerHour(size, region, true)),
      ];
    }),
  );
}

function round(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}
