export { startFakePrices } from './server.ts';
export {
  CURRENT_FROM,
  DECOY_FROM,
  FAKE_BASE_USD_PER_HOUR,
  FUTURE_FROM,
  OLD_FROM,
  fakeLinuxUsdPerHour,
  seedItems,
  vmItem,
} from './items.ts';
export { parseFilter } from './odata.ts';
export { publishedSamples } from './samples.ts';
export type { FakePrices, FakePricesOptions, PricesFault, PricesRequest, RetailPriceItem } from './types.ts';
