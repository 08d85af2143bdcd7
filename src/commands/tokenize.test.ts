import { describe, expect, it } from 'vitest';
import { tokenize } from './tokenize.ts';

describe('commands tokenize', () => {
  it('splits on any whitespace and keeps offsets', () => {
    const source = ' up\t3\n alpha ';

    const result = tokenize(source);

    expect(result.rest).toBeNull();
    expect(result.words.map((word) => [word.text, source.slice(word.start, word.end)])).toEqual([
      ['up', 'up'],
      ['3', '3'],
      ['alpha', 'alpha'],
    ]);
  });

  it('keeps everything after the first standalone `--` verbatim', () => {
    const result = tokenize('run big -n 4 --   ./a.out --flag -- "x; y" | tee out\n  done ');

    expect(result.words.map((word) => word.text)).toEqual(['run', 'big', '-n', '4']);
    expect(result.rest).toBe('./a.out --flag -- "x; y" | tee out\n  done ');
  });

  it('does not treat `--x` or `a--` as the separator, and gives an empty rest for a trailing `--`', () => {
    const result = tokenize('up --spot a-- --');

    expect(result.words.map((word) => word.text)).toEqual(['up', '--spot', 'a--']);
    expect(result.rest).toBe('');
  });
});
