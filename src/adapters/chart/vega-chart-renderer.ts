import { renderAsync } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { MpiboxError } from '../../domain/errors.ts';
import type { ChartRenderer, DailySpend, DailySpendChart } from '../../ports/chart.ts';
import type { Logger } from '../../ports/logger.ts';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MIN_SIDE_IN_PX = 64;
const MAX_SIDE_IN_PX = 4096;
/** The x axis says "Mon 30": days are UTC midnights here, so the machine's time zone cannot shift them. */
const DAY_LABEL = "utcFormat(toDate(datum.value), '%a %-d')";

export interface VegaChartRendererOptions {
  /** Receives the chart library's warnings (a static message; the warning is metadata). */
  logger: Logger;
  /** Font family of every text; it must be installed, or be in `fontFiles`. Default 'DejaVu Sans'. */
  fontFamily?: string;
  /**
   * Font files to load instead of scanning the system's fonts, for the same look on every
   * machine. Default: the system's fonts (fonts-dejavu-core on Debian; without any font, resvg
   * silently draws no text at all).
   */
  fontFiles?: readonly string[];
}

/**
 * Charts with Vega-Lite: the spec is compiled to Vega, drawn headless to SVG (Vega escapes every
 * text, so user names cannot inject markup), and the SVG is rasterised to PNG by resvg. Nothing
 * here needs a browser, a canvas or a native font stack: resvg reads font files itself.
 */
export class VegaChartRenderer implements ChartRenderer {
  readonly #logger: Logger;
  readonly #fontFamily: string;
  readonly #fontFiles: readonly string[] | undefined;

  constructor(options: VegaChartRendererOptions) {
    this.#logger = options.logger;
    this.#fontFamily = options.fontFamily ?? 'DejaVu Sans';
    this.#fontFiles = options.fontFiles;
  }

  async dailySpendByUser(chart: DailySpendChart, abortSignal?: AbortSignal): Promise<Buffer> {
    abortSignal?.throwIfAborted();
    const svg = await this.svg(dailySpendSpec(chart, this.#fontFamily));
    abortSignal?.throwIfAborted();
    // renderAsync rasterises on libuv's thread pool, so the bot's event loop stays free.
    const image = await renderAsync(svg, {
      background: 'white',
      font: {
        loadSystemFonts: this.#fontFiles === undefined,
        fontFiles: [...(this.#fontFiles ?? [])],
        defaultFontFamily: this.#fontFamily,
        sansSerifFamily: this.#fontFamily,
      },
    });
    abortSignal?.throwIfAborted();
    if (image.width !== chart.widthInPx || image.height !== chart.heightInPx) {
      throw new MpiboxError('internal', 'The chart came out at another size than asked for.', {
        widthInPx: image.width,
        heightInPx: image.height,
        wantedWidthInPx: chart.widthInPx,
        wantedHeightInPx: chart.heightInPx,
      });
    }
    return image.asPng();
  }

  /** A Vega-Lite spec drawn as an SVG document; exposed for tests that read the chart's text. */
  async svg(spec: TopLevelSpec): Promise<string> {
    const logger = vegaLogger(this.#logger);
    const view = new vega.View(vega.parse(compile(spec, { logger }).spec), { renderer: 'none', logger });
    try {
      return await view.toSVG();
    } finally {
      view.finalize();
    }
  }
}

/** Vega's logger interface, forwarding warnings and errors to ours instead of the console. */
function vegaLogger(logger: Logger): vega.LoggerInterface {
  return vega.logger(vega.Warn, undefined, (_method, level, args) =>
    logger.warn('chart library warning', { level, detail: args.map(String).join(' ') }),
  );
}

/** The Vega-Lite spec of a daily-spend chart; throws MpiboxError('internal') on input the port forbids. */
export function dailySpendSpec(chart: DailySpendChart, fontFamily: string): TopLevelSpec {
  check(chart);
  const spent = chart.spend.filter((s) => s.usd > 0);
  const users = usersBySpend(spent);
  // rank: the biggest spender sits at the bottom of every bar and on top of the legend.
  const values = spent.map(({ day, user, usd }) => ({ day, user, usd, rank: users.indexOf(user) }));
  const x = {
    field: 'day',
    type: 'ordinal',
    scale: { domain: chart.days.slice() as string[] },
    // A month of days does not fit side by side: 'parity' then shows every other label.
    axis: { title: null, labelAngle: 0, labelExpr: DAY_LABEL, labelOverlap: 'parity', labelSeparation: 4 },
  } as const;
  const y = {
    field: 'usd',
    type: 'quantitative',
    aggregate: 'sum',
    title: 'USD',
    axis: { format: '$,.2f' },
  } as const;
  const frame = {
    width: chart.widthInPx,
    height: chart.heightInPx,
    // 'fit' + 'padding': width and height are the whole image, not just the plot area.
    autosize: { type: 'fit', contains: 'padding' },
    background: 'white',
    title: { text: chart.title, limit: Math.max(chart.widthInPx - 20, 10) },
    config: { font: fontFamily },
  } as const;
  if (values.length === 0) {
    return {
      ...frame,
      layer: [
        {
          data: { values: [] },
          mark: 'bar',
          encoding: { x, y: { ...y, scale: { domain: [0, 1] }, axis: { labels: false, ticks: false } } },
        },
        { data: { values: [{}] }, mark: { type: 'text', text: 'No spend in this period', fontSize: 16 } },
      ],
    };
  }
  return {
    ...frame,
    data: { values },
    mark: 'bar',
    encoding: {
      x,
      y,
      color: { field: 'user', type: 'nominal', title: 'User', scale: { domain: users, scheme: 'tableau20' } },
      order: { field: 'rank', type: 'quantitative' },
    },
  };
}

/** Users, biggest total first (ties by name), so the legend reads like a ranking. */
function usersBySpend(values: readonly DailySpend[]): string[] {
  const totals = new Map<string, number>();
  for (const { user, usd } of values) totals.set(user, (totals.get(user) ?? 0) + usd);
  return [...totals.keys()].sort((a, b) => totals.get(b)! - totals.get(a)! || (a < b ? -1 : a > b ? 1 : 0));
}

/** YYYY-MM-DD naming a real date: 2024-02-30 is refused, not read as 1 March. */
function isDay(text: string): boolean {
  return DAY.test(text) && !Number.isNaN(Date.parse(text)) && new Date(text).toISOString().startsWith(text);
}

function check(chart: DailySpendChart): void {
  const fail = (message: string, fields: Record<string, string | number> = {}): never => {
    throw new MpiboxError('internal', message, fields);
  };
  for (const side of [chart.widthInPx, chart.heightInPx]) {
    if (!Number.isInteger(side) || side < MIN_SIDE_IN_PX || side > MAX_SIDE_IN_PX) {
      fail('A chart side must be a whole number of pixels from 64 to 4096.', { sideInPx: side });
    }
  }
  if (chart.days.length === 0) fail('A chart needs at least one day.');
  const days = new Set(chart.days);
  if (days.size !== chart.days.length) fail('A chart lists a day twice.');
  for (const day of chart.days) {
    if (!isDay(day)) fail('A chart day is not a YYYY-MM-DD date.', { day });
  }
  for (const { day, usd } of chart.spend) {
    if (!days.has(day)) fail('Spend falls on a day the chart does not show.', { day });
    if (!Number.isFinite(usd) || usd < 0)
      fail('Spend must be a finite number of dollars >= 0.', { day, usd });
  }
}
