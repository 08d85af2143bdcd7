import fs from 'node:fs';
import path from 'node:path';
import { specsDir } from '../support/specs.ts';
import type { RetailPriceItem } from './types.ts';

/**
 * Microsoft's published sample items (shared/specs/azure/retail-prices), byte-for-byte as printed
 * in the Retail Prices documentation: an F16s Windows Spot DevTest meter, an E64 v4 reservation
 * and an F16s Windows Spot meter in EUR. None is a Linux pay-as-you-go price, so a correct client
 * never picks one.
 */
export function publishedSamples(): RetailPriceItem[] {
  const dir = specsDir(path.join('azure', 'retail-prices'));
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as RetailPriceItem);
}
