import { describe, expect, it } from 'vitest';
import { closestMatch, editDistance } from './suggest.ts';

const VERBS = ['up', 'resize', 'down', 'status', 'list', 'key', 'help'];

describe('commands suggest', () => {
  it.each([
    ['stauts', 'status'],
    ['lsit', 'list'],
    ['dwn', 'down'],
    ['STATUS', 'status'],
    ['kye', 'key'],
    ['x', null],
    ['deploy', null],
    ['a'.repeat(5000), null],
  ])('suggests for %s: %s', (typed, expected) => {
    const result = closestMatch(typed, VERBS);

    expect(result).toBe(expected);
  });

  it('measures Levenshtein distance over code points', () => {
    const distances = [editDistance('kitten', 'sitting'), editDistance('🚀a', 'a'), editDistance('', 'ab')];

    expect(distances).toEqual([3, 1, 2]);
  });
});
