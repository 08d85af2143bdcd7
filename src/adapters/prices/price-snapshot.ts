import fs from 'node:fs';
import { z } from 'zod';
import { MpiboxError } from '../../domain/errors.ts';
import type { PriceQuote } from '../../ports/price-book.ts';

/** The snapshot shipped beside this file: prices to use until the API has been reached once. */
export const PRICE_SNAPSHOT_FILE = new URL('./price-snapshot.json', import.meta.url);

const vmSize = z
  .string()
  .regex(/^(Standard|Basic)_[A-Za-z0-9_-]{1,40}$/, 'a VM size such as Standard_D4s_v5');
const region = z.string().regex(/^[a-z0-9]{2,40}$/, 'an ARM region name such as eastus');
const usd = z.number().positive().max(1000);

/** Our file, so strict: unknown keys are a typo. */
const PriceSnapshotSchema = z.strictObject({
  /** The date the figures were list prices, YYYY-MM-DD (UTC). */
  asOf: z.iso.date(),
  currency: z.literal('USD'),
  /** Where the figures came from and how far to trust them. */
  note: z.string().min(1),
  /** region → size → USD per VM-hour, Linux pay-as-you-go and (when known) Spot. */
  prices: z.record(
    region,
    z.record(vmSize, z.strictObject({ usdPerHour: usd, spotUsdPerHour: usd.optional() })),
  ),
});

/** The validated snapshot: list prices at `asOf`, replaced by the API's once fetched. */
export type PriceSnapshot = z.infer<typeof PriceSnapshotSchema>;

/** Validates snapshot data; throws MpiboxError('internal') listing every problem. */
export function parsePriceSnapshot(data: unknown): PriceSnapshot {
  const result = PriceSnapshotSchema.safeParse(data);
  if (!result.success) {
    throw new MpiboxError('internal', `price snapshot is invalid: ${z.prettifyError(result.error)}`);
  }
  return result.data;
}

/** Reads and validates the snapshot (default: the one shipped in the repo). Synchronous: call at startup. */
export function loadPriceSnapshot(file: string | URL = PRICE_SNAPSHOT_FILE): PriceSnapshot {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new MpiboxError(
      'internal',
      'price snapshot is unreadable',
      { file: String(file) },
      { cause: error },
    );
  }
  return parsePriceSnapshot(data);
}

/** Every price in the snapshot as quotes (source 'snapshot', effective from `asOf` midnight UTC). */
export function snapshotQuotes(snapshot: PriceSnapshot): PriceQuote[] {
  const effectiveFromMs = Date.parse(`${snapshot.asOf}T00:00:00Z`);
  return Object.entries(snapshot.prices).flatMap(([regionName, sizes]) =>
    Object.entries(sizes).flatMap(([size, price]) => {
      const base = { source: 'snapshot' as const, size, region: regionName, effectiveFromMs };
      const meterName = meterNameOf(size);
      const regular: PriceQuote = { ...base, spot: false, meterName, usdPerHour: price.usdPerHour };
      if (price.spotUsdPerHour === undefined) return [regular];
      return [
        regular,
        { ...base, spot: true, meterName: `${meterName} Spot`, usdPerHour: price.spotUsdPerHour },
      ];
    }),
  );
}

/** Azure's meter naming for a size: Standard_HB120rs_v3 → "HB120rs v3". */
function meterNameOf(size: string): string {
  return size.replace(/^(Standard|Basic)_/, '').replaceAll('_', ' ');
}
