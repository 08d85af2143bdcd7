import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configReference, undocumentedSettings } from './config-docs.ts';

/** Table rows compared as text: prettier's column padding does not count. */
function normalized(markdown: string): string[] {
  return markdown
    .split('\n')
    .map((line) => line.trim().replace(/\s+/g, ' ').replace(/-{3,}/g, '---'))
    .filter((line) => line !== '');
}

describe('configuration reference', () => {
  it('documents every setting of the schema and nothing else', () => {
    expect(undocumentedSettings()).toEqual({ missing: [], stale: [] });
  });

  it('is what README.md shows (npm run config-reference -- --write regenerates it)', () => {
    const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const block =
      /<!-- config-reference:begin[^>]*-->\n([\s\S]*?)<!-- config-reference:end -->/.exec(readme)?.[1] ?? '';

    expect(normalized(block)).toEqual(normalized(configReference()));
  });

  it('shows the schema’s defaults', () => {
    expect(configReference()).toMatch(/\| `MPIBOX_MAX_NODES_PER_CLUSTER` \| `16` \|/);
    expect(configReference()).toMatch(/\| `AZURE_VM_SIZE` \| `Standard_HB120rs_v3` \|/);
  });
});
