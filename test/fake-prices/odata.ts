import type { RetailPriceItem } from './types.ts';

/**
 * The `$filter` fields the Retail Prices API documents, by lowercase name (field names are
 * case-insensitive there). `priceType` filters the item's `type`.
 */
const FIELDS: Record<string, keyof RetailPriceItem> = {
  armregionname: 'armRegionName',
  location: 'location',
  meterid: 'meterId',
  metername: 'meterName',
  productid: 'productId',
  skuid: 'skuId',
  productname: 'productName',
  skuname: 'skuName',
  servicename: 'serviceName',
  serviceid: 'serviceId',
  servicefamily: 'serviceFamily',
  pricetype: 'type',
  armskuname: 'armSkuName',
};

/** One `field eq 'value'` clause, then `and` or the end. `''` inside the quotes is one quote. */
const CLAUSE = /^\s*([A-Za-z]+)\s+eq\s+'((?:[^']|'')*)'\s*(?:and\s+(?=\S)|$)/i;

/**
 * The subset of OData this fake understands: `field eq 'value'` clauses joined by `and`. Anything
 * else (or, ne, contains(), parentheses, unknown fields) is an error, so the client cannot come
 * to rely on syntax the fake only pretends to handle. Values compare case-insensitively, as in
 * api-version 2023-01-01-preview.
 */
export function parseFilter(
  text: string,
): { ok: true; test: (item: RetailPriceItem) => boolean } | { ok: false; error: string } {
  const clauses: { field: keyof RetailPriceItem; value: string }[] = [];
  let rest = text;
  while (rest.trim().length > 0) {
    const match = CLAUSE.exec(rest);
    if (!match) return { ok: false, error: `unsupported filter syntax near: ${rest.trim().slice(0, 40)}` };
    const [whole, name = '', quoted = ''] = match;
    const field = FIELDS[name.toLowerCase()];
    if (!field) return { ok: false, error: `unknown filter field: ${name}` };
    clauses.push({ field, value: quoted.replaceAll("''", "'").toLowerCase() });
    rest = rest.slice(whole.length);
  }
  if (clauses.length === 0) return { ok: false, error: 'empty filter' };
  return {
    ok: true,
    test: (item) => clauses.every(({ field, value }) => String(item[field] ?? '').toLowerCase() === value),
  };
}
