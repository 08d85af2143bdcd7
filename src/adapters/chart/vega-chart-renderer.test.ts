import { describe, expect, it } from 'vitest';
import type { DailySpend, DailySpendChart } from '../../ports/chart.ts';
import type { Logger } from '../../ports/logger.ts';
import { decodePng, pngContent, readPngInfo, type PngPixels } from './png-info.ts';
import { dailySpendSpec, VegaChartRenderer } from './vega-chart-renderer.ts';

/** Vega-Lite's `tableau20` scheme: the first colours, in the order users get them. */
const USER_COLOURS = ['4c78a8', '9ecae9', 'f58518', 'ffbf79', '54a24b'];
const WEEK = [
  '2024-09-30',
  '2024-10-01',
  '2024-10-02',
  '2024-10-03',
  '2024-10-04',
  '2024-10-05',
  '2024-10-06',
];
const SPEND: DailySpend[] = [
  { day: '2024-09-30', user: 'alice', usd: 42.5 },
  { day: '2024-09-30', user: 'bob', usd: 13.25 },
  { day: '2024-10-02', user: 'alice', usd: 20 },
  { day: '2024-10-03', user: 'carol', usd: 30.75 },
  { day: '2024-10-03', user: 'bob', usd: 12 },
];

/** Warnings the chart library sent to our logger. */
function warningsLogger(): Logger & { warnings: unknown[] } {
  const warnings: unknown[] = [];
  const ignore = (): void => {};
  return { warnings, debug: ignore, info: ignore, warn: (_m, meta) => warnings.push(meta), error: ignore };
}

function chart(overrides: Partial<DailySpendChart> = {}): DailySpendChart {
  return {
    title: 'Spend, week of 30 September',
    days: WEEK,
    spend: SPEND,
    widthInPx: 800,
    heightInPx: 400,
    ...overrides,
  };
}

function hasColour(image: PngPixels, hex: string): boolean {
  const [r, g, b] = [0, 2, 4].map((at) => parseInt(hex.slice(at, at + 2), 16));
  for (let p = 0; p < image.data.length; p += image.channels) {
    if (image.data[p] === r && image.data[p + 1] === g && image.data[p + 2] === b) return true;
  }
  return false;
}

/** Runs `work` with the process in another time zone (Node rereads TZ when it changes). */
async function inTimeZone<T>(zone: string, work: () => Promise<T>): Promise<T> {
  const before = process.env.TZ;
  process.env.TZ = zone;
  try {
    return await work();
  } finally {
    if (before === undefined) delete process.env.TZ;
    else process.env.TZ = before;
  }
}

describe('VegaChartRenderer', () => {
  it.each([
    [800, 400],
    [1200, 600],
  ])('draws a %i×%i PNG of exactly that size, with a bar colour per user', async (widthInPx, heightInPx) => {
    const logger = warningsLogger();
    const renderer = new VegaChartRenderer({ logger });

    const png = await renderer.dailySpendByUser(chart({ widthInPx, heightInPx }));
    const image = decodePng(png);
    const content = pngContent(image);

    expect(png.subarray(0, 8).toString('latin1')).toBe('\x89PNG\r\n\x1a\n');
    expect(readPngInfo(png)).toMatchObject({ widthInPx, heightInPx });
    expect(content.nonBackgroundPixels / (widthInPx * heightInPx)).toBeGreaterThan(0.1);
    expect(content.distinctColours).toBeGreaterThan(10); // three fills, grey lines, anti-aliased text
    expect(USER_COLOURS.slice(0, 3).map((hex) => hasColour(image, hex))).toEqual([true, true, true]);
    expect(hasColour(image, USER_COLOURS[3]!)).toBe(false);
    expect(logger.warnings).toEqual([]);
  });

  it('gives more users more colours', async () => {
    const renderer = new VegaChartRenderer({ logger: warningsLogger() });
    const five = ['u1', 'u2', 'u3', 'u4', 'u5'].map((user, i) => ({ day: WEEK[i]!, user, usd: 10 + i }));

    const one = decodePng(await renderer.dailySpendByUser(chart({ spend: [SPEND[0]!] })));
    const many = decodePng(await renderer.dailySpendByUser(chart({ spend: five })));

    expect(pngContent(many).distinctColours).toBeGreaterThan(pngContent(one).distinctColours);
    expect(USER_COLOURS.map((hex) => hasColour(one, hex))).toEqual([true, false, false, false, false]);
    expect(USER_COLOURS.map((hex) => hasColour(many, hex))).toEqual([true, true, true, true, true]);
  });

  it('draws an empty period as axes and a note, with text that needs the installed fonts', async () => {
    const empty = chart({ spend: [{ day: WEEK[1]!, user: 'alice', usd: 0 }] });

    const png = await new VegaChartRenderer({ logger: warningsLogger() }).dailySpendByUser(empty);
    const withoutFonts = await new VegaChartRenderer({
      logger: warningsLogger(),
      fontFiles: [],
    }).dailySpendByUser(empty);
    const image = decodePng(png);

    expect(readPngInfo(png)).toMatchObject({ widthInPx: 800, heightInPx: 400 });
    expect(USER_COLOURS.some((hex) => hasColour(image, hex))).toBe(false);
    // resvg draws no text at all when it finds no font: fonts-dejavu-core must be installed.
    expect(pngContent(image).nonBackgroundPixels).toBeGreaterThan(
      pngContent(decodePng(withoutFonts)).nonBackgroundPixels + 1000,
    );
  });

  it('writes hostile user names and titles as text, and labels days "Mon 30" whatever the time zone', async () => {
    const logger = warningsLogger();
    const renderer = new VegaChartRenderer({ logger });
    const hostile = `<&>"'</text><script>alert(1)</script>`;
    const spend = [{ day: WEEK[0]!, user: hostile, usd: 5 }];

    const png = await renderer.dailySpendByUser(chart({ title: hostile, spend }));
    const svg = await inTimeZone('America/Los_Angeles', () =>
      renderer.svg(dailySpendSpec(chart({ title: hostile, spend }), 'DejaVu Sans')),
    );

    expect(readPngInfo(png)).toMatchObject({ widthInPx: 800, heightInPx: 400 });
    expect(svg).not.toContain('<script');
    expect(svg).toContain('&lt;&amp;&gt;"\'&lt;/text&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    const labels = ['Mon 30', 'Tue 1', 'Wed 2', 'Thu 3', 'Fri 4', 'Sat 5', 'Sun 6'].map((l) =>
      svg.indexOf(`>${l}<`),
    );
    expect(Math.min(...labels)).toBeGreaterThan(0);
    expect(labels).toEqual([...labels].sort((a, b) => a - b));
    expect(logger.warnings).toEqual([]);
  });

  it('refuses input the port forbids, and an aborted call', async () => {
    const renderer = new VegaChartRenderer({ logger: warningsLogger() });
    const aborted = AbortSignal.abort(new Error('stop'));

    const outside = renderer.dailySpendByUser(chart({ spend: [{ day: '2024-10-07', user: 'a', usd: 1 }] }));
    const negative = renderer.dailySpendByUser(chart({ spend: [{ day: WEEK[0]!, user: 'a', usd: -1 }] }));
    const tooBig = renderer.dailySpendByUser(chart({ widthInPx: 5000 }));
    const badDay = renderer.dailySpendByUser(chart({ days: ['30/09/2024'], spend: [] }));

    await expect(outside).rejects.toMatchObject({ code: 'internal', fields: { day: '2024-10-07' } });
    await expect(negative).rejects.toMatchObject({ code: 'internal' });
    await expect(tooBig).rejects.toMatchObject({ code: 'internal', fields: { sideInPx: 5000 } });
    await expect(badDay).rejects.toMatchObject({ code: 'internal' });
    await expect(renderer.dailySpendByUser(chart(), aborted)).rejects.toThrow('stop');
  });
});
