import { describe, expect, it } from 'vitest';
import { HELP_TOPICS, usageText } from './usage.ts';

describe('commands usage', () => {
  it('lists one line per verb in the general help', () => {
    const result = usageText();

    expect(result.split('\n').filter((line) => line.startsWith('`/mpi '))).toHaveLength(15);
    expect(result).toContain('`/mpi up <nodes> [name] [--size SKU] [--spot]` — ');
  });

  it('shows one verb with its details, accepting the Command verb spelling', () => {
    const spoken = usageText('key rm');

    const typed = usageText('key-rm');

    expect(spoken).toBe(typed);
    expect(spoken).toMatch(/^`\/mpi key rm <fingerprint>` — .*\nThe fingerprint is/);
  });

  it('shows the key group for `key` and the general help for unknown topics', () => {
    const group = usageText('key');

    const unknown = usageText('nonsense');

    expect(group.split('\n')).toHaveLength(3);
    expect(unknown).toBe(usageText());
  });

  it('explains `--` with an example in the help on run', () => {
    const result = usageText('run');

    expect(result).toMatch(
      /^`\/mpi run \[cluster\] \[-n RANKS\] \[--ppn K\] \[--timeout DURATION\] -- <command…>` — /,
    );
    expect(result).toContain('Everything after `--` is your command');
    expect(result).toContain('`/mpi run demo -n 4 -- ./solver in.dat`');
  });

  it('has a usage for every help topic', () => {
    const results = HELP_TOPICS.map((topic) => usageText(topic));

    expect(results.every((text) => text !== usageText())).toBe(true);
  });
});
