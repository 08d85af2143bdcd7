import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../test/fakes/fake-clock.ts';
import { MemoryLogger } from '../../../test/fakes/harness.ts';
import { startFakePrices, type FakePrices } from '../../../test/fake-prices/index.ts';
import { isMpiboxError } from '../../domain/errors.ts';
import { AzureRetailPriceBook } from './azure-retail-price-book.ts';
import { loadPriceSnapshot } from './price-snapshot.ts';

const HB_EAST = { size: 'Standard_HB120rs_v3', region: 'eastus' };
const D4_WEST = { size: 'Standard_D4s_v5', region: 'westeurope' };

let fake: FakePrices;
let clock: FakeClock;
let logger: MemoryLogger;
let cacheFile: string;

beforeEach(async () => {
  fake = await startFakePrices();
  clock = new FakeClock();
  logger = new MemoryLogger();
  cacheFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mpibox-prices-')), 'retail-prices.json');
});
afterEach(async () => {
  await fake.close();
});

function makeBook(): AzureRetailPriceBook {
  return new AzureRetailPriceBook({
    apiUrl: fake.apiUrl,
    cacheFile,
    snapshot: loadPriceSnapshot(),
    clock,
    logger,
  });
}

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return isMpiboxError(error)
      ? `${error.code} ${String(error.fields.reason)} x${error.fields.attempts}`
      : String(error);
  }
  return 'resolved';
}

describe('AzureRetailPriceBook refresh', () => {
  it('prices Linux pay-as-you-go and Spot from the API, asking once per size and region', async () => {
    const book = makeBook();

    await book.refresh([HB_EAST, D4_WEST, { size: 'standard_hb120rs_v3', region: 'EastUS' }]);

    expect(book.hourlyPrice('Standard_HB120rs_v3', 'eastus', false)).toMatchObject({
      usdPerHour: 3.61,
      source: 'retail-api',
      meterName: 'HB120rs v3',
      effectiveFromMs: Date.UTC(2024, 3, 1),
    });
    expect(book.hourlyPrice('Standard_HB120rs_v3', 'eastus', true)?.usdPerHour).toBe(0.722);
    expect(book.hourlyPrice('Standard_D4s_v5', 'westeurope', false)?.usdPerHour).toBe(0.2123);
    expect(book.hourlyPrice('Standard_D4s_v5', 'westeurope', true)?.meterName).toBe('D4s v5 Spot');
    expect(book.fetchedAtMs()).toBe(clock.nowInMs());
    expect(fake.requests.map((request) => [request.apiVersion, request.filter])).toEqual([
      [
        '2023-01-01-preview',
        "serviceName eq 'Virtual Machines' and armRegionName eq 'eastus' and armSkuName eq 'Standard_HB120rs_v3' and priceType eq 'Consumption'",
      ],
      [
        '2023-01-01-preview',
        "serviceName eq 'Virtual Machines' and armRegionName eq 'westeurope' and armSkuName eq 'Standard_D4s_v5' and priceType eq 'Consumption'",
      ],
    ]);
  });

  it('follows NextPageLink across pages', async () => {
    fake.setPageSize(2);
    const book = makeBook();

    await book.refresh([HB_EAST]);

    expect(fake.requests.map((request) => request.skip)).toEqual([0, 2, 4, 6]);
    expect(book.hourlyPrice('Standard_HB120rs_v3', 'eastus', true)?.usdPerHour).toBe(0.722);
  });

  it('waits as long as a 429 Retry-After says, then succeeds', async () => {
    fake.fail({ kind: 'status', status: 429, retryAfterInSeconds: 7 });
    const book = makeBook();
    const startMs = clock.nowInMs();

    await book.refresh([HB_EAST]);

    expect(clock.nowInMs() - startMs).toBe(7000);
    expect(fake.requests.map((request) => request.status)).toEqual([429, 200]);
    expect(book.hourlyPrice('Standard_HB120rs_v3', 'eastus', false)?.source).toBe('retail-api');
    expect(logger.lines.filter((line) => line.level === 'warn')).toHaveLength(1);
  });

  it('retries a malformed body and a 429 without Retry-After with backoff', async () => {
    fake.fail({ kind: 'malformed' });
    fake.fail({ kind: 'status', status: 429 });
    const book = makeBook();
    const startMs = clock.nowInMs();

    await book.refresh([HB_EAST]);

    expect(clock.nowInMs() - startMs).toBe(1000 + 2000);
    expect(book.hourlyPrice('Standard_HB120rs_v3', 'eastus', false)?.usdPerHour).toBe(3.61);
  });

  it('gives up after four 500s, keeps the prices it had and leaves the cache alone', async () => {
    const book = makeBook();
    await book.refresh([HB_EAST]);
    const cached = fs.readFileSync(cacheFile, 'utf8');
    const fetchedAtMs = book.fetchedAtMs();
    fake.items = fake.items.map((item) => ({ ...item, retailPrice: 99 }));
    fake.fail({ kind: 'status', status: 500, times: 4 });
    clock.advance(60_000);

    const outcome = await rejection(book.refresh([D4_WEST, HB_EAST]));

    expect(outcome).toBe('provider HTTP 500 x4');
    expect(fake.requests.slice(1).map((request) => request.status)).toEqual([500, 500, 500, 500]);
    expect(book.hourlyPrice('Standard_HB120rs_v3', 'eastus', false)?.usdPerHour).toBe(3.61);
    expect(book.hourlyPrice('Standard_D4s_v5', 'westeurope', false)?.source).toBe('snapshot');
    expect(book.fetchedAtMs()).toBe(fetchedAtMs);
    expect(fs.readFileSync(cacheFile, 'utf8')).toBe(cached);
  });

  it('does not retry a 400 and does not follow a NextPageLink to another origin', async () => {
    const book = new AzureRetailPriceBook({
      apiUrl: fake.apiUrl,
      cacheFile,
      snapshot: loadPriceSnapshot(),
      clock,
      logger,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        const body = (await response.json()) as Record<string, unknown>;
        return Response.json({ ...body, NextPageLink: 'https://evil.example/api/retail/prices?$skip=1' });
      },
    });

    const offsite = await rejection(book.refresh([HB_EAST]));
    fake.fail({ kind: 'status', status: 400 });
    const badRequest = await rejection(makeBook().refresh([HB_EAST]));

    expect(offsite).toMatch(/^provider/);
    expect(badRequest).toBe('provider HTTP 400 x1');
    expect(book.fetchedAtMs()).toBeNull();
  });

  it('knows nothing of a size neither the API nor the snapshot prices', async () => {
    const book = makeBook();

    await book.refresh([{ size: 'Standard_ND96asr_v4', region: 'eastus' }]);

    expect(book.hourlyPrice('Standard_ND96asr_v4', 'eastus', false)).toBeNull();
    expect(book.hourlyPrice('Standard_HB120rs_v3', 'northpole', false)).toBeNull();
    expect(logger.lines.map((line) => line.message)).toContain('no retail price for this size here');
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('shutting down'));

    const outcome = await rejection(makeBook().refresh([HB_EAST], controller.signal));

    expect(outcome).toBe('Error: shutting down');
  });
});
