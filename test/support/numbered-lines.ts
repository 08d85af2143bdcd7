import { expect } from 'vitest';

/**
 * Walks a job thread's lines against the lines the job printed: a shown line must be the next
 * one, and a skip notice (`[… N lines (…) not shown here …]`) must count exactly the lines it
 * stands for. Returns how many of `expected` were accounted for.
 */
export function accountForLines(lines: readonly string[], expected: readonly string[]): number {
  let next = 0;
  for (const line of lines) {
    const notice = /^\[… ([\d,]+) lines? \(.*\) not shown here/.exec(line);
    if (notice) {
      next += Number(notice[1]?.replaceAll(',', ''));
    } else {
      expect(line, `thread line after ${expected[next - 1] ?? 'the start'}`).toBe(expected[next]);
      next += 1;
    }
  }
  return next;
}
