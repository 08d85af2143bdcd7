import { afterEach, describe, expect, it } from 'vitest';
import { parseFilter, publishedSamples, seedItems, startFakePrices, type FakePrices } from './index.ts';

const FILTER =
  "serviceName eq 'Virtual Machines' and armRegionName eq 'eastus' and armSkuName eq 'Standard_D4s_v5'";

let fake: FakePrices | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${fake?.url}${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function typesOf(item: object): Record<string, string> {
  return Object.fromEntries(Object.entries(item).map(([key, value]) => [key, typeof value]));
}

describe('fake prices server', () => {
  it('serves items with the key set and JSON types of Microsoft’s published samples', () => {
    const samples = publishedSamples();
    const consumption = samples.find((item) => item.type === 'Consumption');
    const reservation = samples.find((item) => item.type === 'Reservation');

    const ours = seedItems();

    expect(samples).toHaveLength(3);
    for (const item of ours.filter((candidate) => candidate.type !== 'Reservation')) {
      expect(typesOf(item)).toEqual(typesOf(consumption ?? {}));
    }
    expect(typesOf(ours.find((item) => item.type === 'Reservation') ?? {})).toEqual(
      typesOf(reservation ?? {}),
    );
  });

  it('requires api-version and refuses filter syntax it does not know', async () => {
    fake = await startFakePrices();

    const noVersion = await get(`/api/retail/prices?$filter=${encodeURIComponent(FILTER)}`);
    const orClause = await get(
      `/api/retail/prices?api-version=2023-01-01-preview&$filter=${encodeURIComponent("armSkuName eq 'a' or armSkuName eq 'b'")}`,
    );
    const unknownField = await get(
      `/api/retail/prices?api-version=2023-01-01-preview&$filter=${encodeURIComponent("color eq 'blue'")}`,
    );

    expect(noVersion.status).toBe(400);
    expect(orClause.status).toBe(400);
    expect(unknownField.status).toBe(400);
    expect(fake.requests.map((request) => request.status)).toEqual([400, 400, 400]);
  });

  it('matches field names and values case-insensitively and doubled quotes as one', () => {
    const parsed = parseFilter(
      "ARMSKUNAME eq 'standard_d4s_v5' and PriceType eq 'consumption' and meterName eq 'D4s v5'",
    );
    const quoted = parseFilter("productName eq 'O''Brien'");

    const matching = parsed.ok ? seedItems().filter(parsed.test) : [];

    expect(matching.map((item) => `${item.armRegionName} ${item.productName}`).sort()).toEqual([
      'eastus Virtual Machines Dsv5 Series',
      'eastus Virtual Machines Dsv5 Series',
      'eastus Virtual Machines Dsv5 Series',
      'eastus Virtual Machines Dsv5 Series Windows',
      'southcentralus Virtual Machines Dsv5 Series',
      'southcentralus Virtual Machines Dsv5 Series',
      'southcentralus Virtual Machines Dsv5 Series',
      'southcentralus Virtual Machines Dsv5 Series Windows',
      'westeurope Virtual Machines Dsv5 Series',
      'westeurope Virtual Machines Dsv5 Series',
      'westeurope Virtual Machines Dsv5 Series',
      'westeurope Virtual Machines Dsv5 Series Windows',
      'westus2 Virtual Machines Dsv5 Series',
      'westus2 Virtual Machines Dsv5 Series',
      'westus2 Virtual Machines Dsv5 Series',
      'westus2 Virtual Machines Dsv5 Series Windows',
    ]);
    expect(quoted.ok && quoted.test({ ...seedItems()[0]!, productName: "O'Brien" })).toBe(true);
    expect(parseFilter("armSkuName eq 'a' and").ok).toBe(false);
    expect(parseFilter("contains(meterName, 'Spot')").ok).toBe(false);
  });

  it('pages with an absolute NextPageLink carrying $skip until the last page', async () => {
    fake = await startFakePrices({ pageSize: 4 });
    const first = `/api/retail/prices?api-version=2023-01-01-preview&$filter=${encodeURIComponent(FILTER)}`;

    const pages = [await get(first)];
    while (typeof pages.at(-1)?.body.NextPageLink === 'string') {
      const link = new URL(pages.at(-1)?.body.NextPageLink as string);
      pages.push(await get(`${link.pathname}${link.search}`));
    }

    expect(pages.map((page) => page.body.Count)).toEqual([4, 4, 1]);
    expect(pages[0]?.body.NextPageLink).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/api\/retail\/prices\?.*%24skip=4$/,
    );
    expect(pages[0]?.body).toMatchObject({ BillingCurrency: 'USD', CustomerEntityType: 'Retail' });
    expect(fake.requests.map((request) => request.skip)).toEqual([0, 4, 8]);
  });

  it('injects 429 with Retry-After, 500 and a malformed body, each once', async () => {
    fake = await startFakePrices();
    fake.fail({ kind: 'status', status: 429, retryAfterInSeconds: 7 });
    fake.fail({ kind: 'status', status: 500 });
    fake.fail({ kind: 'malformed' });
    const url = `${fake.apiUrl}?api-version=2023-01-01-preview&$filter=${encodeURIComponent(FILTER)}`;

    const throttled = await fetch(url);
    const failed = await fetch(url);
    const malformed = await (await fetch(url)).text();
    const fine = await fetch(url);

    expect([throttled.status, throttled.headers.get('retry-after')]).toEqual([429, '7']);
    expect([failed.status, failed.headers.get('retry-after')]).toEqual([500, null]);
    expect(() => JSON.parse(malformed)).toThrow();
    expect(fine.status).toBe(200);
    expect(fake.requests.map((request) => request.injected)).toEqual([true, true, true, false]);
  });
});
