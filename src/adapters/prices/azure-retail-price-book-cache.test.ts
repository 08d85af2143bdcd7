import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../test/fakes/fake-clock.ts';
import { MemoryLogger } from '../../../test/fakes/harness.ts';
import { startFakePrices, type FakePrices } from '../../../test/fake-prices/index.ts';
import { priceAs } from '../../ports/price-book.ts';
import { AzureRetailPriceBook, openDataDirPriceBook } from './azure-retail-price-book.ts';
import { loadPriceSnapshot } from './price-snapshot.ts';

const HOUR_IN_MS = 60 * 60 * 1000;
const HB_EAST = { size: 'Standard_HB120rs_v3', region: 'eastus' };

let fake: FakePrices;
let clock: FakeClock;
let logger: MemoryLogger;
let dataDir: string;

beforeEach(async () => {
  fake = await startFakePrices();
  clock = new FakeClock();
  logger = new MemoryLogger();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpibox-prices-'));
});
afterEach(async () => {
  await fake.close();
});

/** A fetch that fails the test if called: proves a book answers from disk. */
const noNetwork: typeof fetch = () => {
  throw new Error('no network in this test');
};

describe('AzureRetailPriceBook cache', () => {
  it('starts from the snapshot and needs a refresh', () => {
    const book = openDataDirPriceBook(dataDir, { clock, logger, fetch: noNetwork });

    expect(book.hourlyPrice('Standard_HB120rs_v3', 'eastus', false)).toMatchObject({
      usdPerHour: 3.6,
      source: 'snapshot',
    });
    expect(book.hourlyPrice('Standard_D2s_v5', 'westus2', true)?.usdPerHour).toBe(0.0192);
    expect(book.fetchedAtMs()).toBeNull();
    expect(book.needsRefresh()).toBe(true);
    expect(logger.lines).toEqual([]);
  });

  it('writes the cache, which a new book reads back without the network', async () => {
    const first = openDataDirPriceBook(dataDir, { clock, logger, apiUrl: fake.apiUrl });
    await first.refresh([HB_EAST]);
    const fetchedAtMs = clock.nowInMs();
    clock.advance(HOUR_IN_MS);

    const second = openDataDirPriceBook(dataDir, { clock, logger, fetch: noNetwork });

    expect(second.hourlyPrice('Standard_HB120rs_v3', 'eastus', true)).toEqual({
      usdPerHour: 0.722,
      source: 'cache',
      size: 'Standard_HB120rs_v3',
      region: 'eastus',
      spot: true,
      meterName: 'HB120rs v3 Spot',
      effectiveFromMs: Date.UTC(2024, 3, 1),
    });
    expect(second.hourlyPrice('Standard_D4s_v5', 'eastus', false)?.source).toBe('snapshot');
    expect(second.fetchedAtMs()).toBe(fetchedAtMs);
    expect(fs.readdirSync(dataDir)).toEqual(['retail-prices.json']);
  });

  it('needs a refresh once the prices are a day old, judged by the clock', async () => {
    const book = openDataDirPriceBook(dataDir, { clock, logger, apiUrl: fake.apiUrl });
    await book.refresh([HB_EAST]);

    const justFetched = book.needsRefresh();
    clock.advance(24 * HOUR_IN_MS - 1);
    const almostADay = book.needsRefresh();
    clock.advance(1);
    const aDay = book.needsRefresh();
    await book.refresh([HB_EAST]);

    expect([justFetched, almostADay, aDay, book.needsRefresh()]).toEqual([false, false, true, false]);
    expect(book.fetchedAtMs()).toBe(clock.nowInMs());
  });

  it('keeps earlier quotes when a later refresh asks for other sizes', async () => {
    const book = openDataDirPriceBook(dataDir, { clock, logger, apiUrl: fake.apiUrl });
    await book.refresh([HB_EAST]);

    await book.refresh([{ size: 'Standard_HC44rs', region: 'westus2' }]);
    const reread = openDataDirPriceBook(dataDir, { clock, logger, fetch: noNetwork });

    expect(reread.hourlyPrice('Standard_HB120rs_v3', 'eastus', false)?.usdPerHour).toBe(3.61);
    expect(reread.hourlyPrice('Standard_HC44rs', 'westus2', false)?.usdPerHour).toBe(3.2334);
  });

  it('falls back to the snapshot and warns when the cache is corrupt', () => {
    const cacheFile = path.join(dataDir, 'retail-prices.json');
    fs.writeFileSync(cacheFile, '{"version":1,"fetchedAtMs":12,"quotes":[{"usdPerHour":"cheap"}]}');

    const book = new AzureRetailPriceBook({
      cacheFile,
      snapshot: loadPriceSnapshot(),
      clock,
      logger,
      fetch: noNetwork,
    });

    expect(book.hourlyPrice('Standard_HB120rs_v3', 'eastus', false)?.source).toBe('snapshot');
    expect(book.fetchedAtMs()).toBeNull();
    expect(logger.lines.map(({ level, message, meta }) => [level, message, meta?.file])).toEqual([
      ['warn', 'price cache corrupt, using the snapshot', cacheFile],
    ]);
  });

  it('prices a local cluster as its configured Azure equivalent', () => {
    const book = openDataDirPriceBook(dataDir, { clock, logger, fetch: noNetwork });

    const quote = priceAs(book, { size: 'Standard_HB120rs_v3', region: 'westeurope' }, false);

    expect(quote?.usdPerHour).toBe(3.96);
    expect(priceAs(book, { size: 'Standard_Nope', region: 'eastus' }, false)).toBeNull();
  });
});
