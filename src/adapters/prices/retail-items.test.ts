import { describe, expect, it } from 'vitest';
import { seedItems } from '../../../test/fake-prices/index.ts';
import { pickQuotes, retailFilter, RetailItemSchema, type RetailItem } from './retail-items.ts';

const NOW_MS = Date.UTC(2026, 10, 25, 9);
const ITEMS: RetailItem[] = seedItems().map((item) => RetailItemSchema.parse(item));

describe('retail items', () => {
  it('picks the current Linux pay-as-you-go meter, not Windows, Low Priority, old, future or DevTest', () => {
    const wanted = { size: 'Standard_HB120rs_v3', region: 'eastus' };

    const { regular } = pickQuotes(ITEMS, wanted, NOW_MS);

    expect(regular).toEqual({
      usdPerHour: 3.61,
      source: 'retail-api',
      size: 'Standard_HB120rs_v3',
      region: 'eastus',
      spot: false,
      meterName: 'HB120rs v3',
      effectiveFromMs: Date.UTC(2024, 3, 1),
    });
  });

  it('picks the Linux Spot meter for Spot', () => {
    const { spot } = pickQuotes(ITEMS, { size: 'Standard_D4s_v5', region: 'westeurope' }, NOW_MS);

    expect([spot?.meterName, spot?.usdPerHour, spot?.spot]).toEqual(['D4s v5 Spot', 0.04246, true]);
  });

  it('takes a future-dated price once its date has come', () => {
    const later = Date.UTC(2027, 5, 2);

    const { regular } = pickQuotes(ITEMS, { size: 'standard_hb120rs_v3', region: 'EastUS' }, later);

    expect(regular?.usdPerHour).toBe(1.805);
    expect([regular?.size, regular?.region]).toEqual(['Standard_HB120rs_v3', 'eastus']);
  });

  it('finds nothing for a size the items do not have, and ignores other currencies', () => {
    const eur = ITEMS.map((item) => ({ ...item, currencyCode: 'EUR' }));

    expect(pickQuotes(ITEMS, { size: 'Standard_ND96asr_v4', region: 'eastus' }, NOW_MS)).toEqual({
      regular: null,
      spot: null,
    });
    expect(pickQuotes(eur, { size: 'Standard_D2s_v5', region: 'eastus' }, NOW_MS)).toEqual({
      regular: null,
      spot: null,
    });
  });

  it('builds the server-side filter with quotes escaped and the region lowercased', () => {
    expect(retailFilter({ size: "Standard_D2s_v5'x", region: 'WestEurope' })).toBe(
      "serviceName eq 'Virtual Machines' and armRegionName eq 'westeurope' and armSkuName eq 'Standard_D2s_v5''x' and priceType eq 'Consumption'",
    );
  });
});
