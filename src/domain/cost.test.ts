import { describe, expect, it } from 'vitest';
import { costBetween, formatUsd, jobCost } from './cost.ts';

const H = 3_600_000;

/** Hand-computed cases (issue 10): the figures in the comments are worked out on paper. */
describe('cost', () => {
  it('a cluster resized mid-way: 4 nodes for 2 h, then 8 nodes for 1 h at $3.60', () => {
    const first = [0, 1, 2, 3].map(() => ({ startedAtMs: 0, stoppedAtMs: 3 * H, usdPerHour: 3.6 }));
    const added = [4, 5, 6, 7].map(() => ({ startedAtMs: 2 * H, stoppedAtMs: 3 * H, usdPerHour: 3.6 }));

    const total = costBetween([...first, ...added], 0, 10 * H);

    // 4 × 3 h + 4 × 1 h = 16 node-hours; × $3.60 = $57.60
    expect(total.nodeHours).toBeCloseTo(16, 10);
    expect(total.usd).toBeCloseTo(57.6, 10);
  });

  it('a stopped and restarted cluster bills only while allocated', () => {
    // 2 nodes: 09:00–10:30, deallocated, then 13:00–13:45 again.
    const intervals = [0, 1].flatMap(() => [
      { startedAtMs: 9 * H, stoppedAtMs: 10.5 * H, usdPerHour: 3.6 },
      { startedAtMs: 13 * H, stoppedAtMs: 13.75 * H, usdPerHour: 3.6 },
    ]);

    const total = costBetween(intervals, 0, 24 * H);

    // 2 × (1.5 h + 0.75 h) = 4.5 node-hours; × $3.60 = $16.20
    expect(total.usd).toBeCloseTo(16.2, 10);
  });

  it('Spot at its own price, an open interval up to now, and a window clip', () => {
    const spot = { startedAtMs: 0, stoppedAtMs: null, usdPerHour: 0.36 };
    const regular = { startedAtMs: 0, stoppedAtMs: 5 * H, usdPerHour: 3.6 };

    // Window 2 h–4 h: spot 2 h × $0.36 = $0.72; regular 2 h × $3.60 = $7.20; total $7.92
    expect(costBetween([spot, regular], 2 * H, 4 * H).usd).toBeCloseTo(7.92, 10);
    // Up to "now" at 6 h: spot 6 h = $2.16; regular 5 h = $18.00
    expect(costBetween([spot, regular], 0, 6 * H).usd).toBeCloseTo(20.16, 10);
  });

  it('keeps unpriced node-hours apart', () => {
    const total = costBetween([{ startedAtMs: 0, stoppedAtMs: 2 * H, usdPerHour: null }], 0, 3 * H);

    expect(total).toEqual({ nodeHours: 2, usd: 0, unpricedNodeHours: 2 });
  });

  it('a job share: 2 h 10 min on 8 nodes at $3.60 is $62.40', () => {
    expect(
      jobCost({ nodes: 8, startedAtMs: 0, endedAtMs: 2 * H + 10 * 60_000, usdPerNodeHour: 3.6 }),
    ).toBeCloseTo(62.4, 10);
    expect(formatUsd(62.4)).toBe('$62.40');
    expect(formatUsd(1234.5)).toBe('$1,234.50');
    expect(formatUsd(0.001)).toBe('<$0.01');
  });
});
