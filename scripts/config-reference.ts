/**
 * `npm run config-reference`: prints the README's configuration reference, generated from the
 * config schema; with `--write`, replaces it in README.md between its markers (formatted).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { configReference } from '../src/config/config-docs.ts';

const README = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'README.md');
const BEGIN = /<!-- config-reference:begin[^>]*-->/;
const END = '<!-- config-reference:end -->';

const reference = configReference();
if (!process.argv.includes('--write')) {
  process.stdout.write(`${reference}\n`);
} else {
  const text = fs.readFileSync(README, 'utf8');
  const begin = BEGIN.exec(text);
  const end = text.indexOf(END);
  if (!begin || end < begin.index) throw new Error('README.md has no config-reference markers');
  const updated = `${text.slice(0, begin.index + begin[0].length)}\n${reference}\n${text.slice(end)}`;
  const options = (await prettier.resolveConfig(README)) ?? {};
  fs.writeFileSync(README, await prettier.format(updated, { ...options, filepath: README }));
  process.stdout.write('README.md: configuration reference written\n');
}
