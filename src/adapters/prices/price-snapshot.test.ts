import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMpiboxError } from '../../domain/errors.ts';
import { loadPriceSnapshot, parsePriceSnapshot, snapshotQuotes } from './price-snapshot.ts';

const SIZES = [
  'Standard_HB120rs_v3',
  'Standard_HB176rs_v4',
  'Standard_HC44rs',
  'Standard_HB120rs_v2',
  'Standard_D4s_v5',
  'Standard_D2s_v5',
];

function problemOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    return isMpiboxError(error) ? `${error.code}: ${error.message}` : String(error);
  }
  return 'no error';
}

describe('price snapshot', () => {
  it('ships regular and Spot prices for every size in the four regions', () => {
    const snapshot = loadPriceSnapshot();

    const quotes = snapshotQuotes(snapshot);

    expect(Object.keys(snapshot.prices).sort()).toEqual([
      'eastus',
      'southcentralus',
      'westeurope',
      'westus2',
    ]);
    for (const sizes of Object.values(snapshot.prices))
      expect(Object.keys(sizes).sort()).toEqual([...SIZES].sort());
    expect(quotes).toHaveLength(48);
    expect(quotes.find((quote) => quote.size === 'Standard_HB120rs_v3' && quote.region === 'eastus')).toEqual(
      {
        source: 'snapshot',
        size: 'Standard_HB120rs_v3',
        region: 'eastus',
        spot: false,
        meterName: 'HB120rs v3',
        usdPerHour: 3.6,
        effectiveFromMs: Date.parse(`${snapshot.asOf}T00:00:00Z`),
      },
    );
    expect(quotes.every((quote) => !quote.spot || quote.meterName.endsWith(' Spot'))).toBe(true);
  });

  it('refuses unknown keys, non-USD, bad sizes and non-positive prices', () => {
    const good = loadPriceSnapshot();

    expect(problemOf(() => parsePriceSnapshot({ ...good, extra: 1 }))).toMatch(/^internal: .*extra/s);
    expect(problemOf(() => parsePriceSnapshot({ ...good, currency: 'EUR' }))).toMatch(/currency/);
    expect(
      problemOf(() => parsePriceSnapshot({ ...good, prices: { eastus: { HB120: { usdPerHour: 1 } } } })),
    ).toMatch(/Invalid key in record\s+→ at prices\.eastus\.HB120/);
    expect(
      problemOf(() =>
        parsePriceSnapshot({ ...good, prices: { eastus: { Standard_D2s_v5: { usdPerHour: 0 } } } }),
      ),
    ).toMatch(/usdPerHour/);
  });

  it('names a file that is not JSON', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mpibox-snapshot-')), 'bad.json');
    fs.writeFileSync(file, '{ nope');

    expect(problemOf(() => loadPriceSnapshot(file))).toBe('internal: price snapshot is unreadable');
  });
});
