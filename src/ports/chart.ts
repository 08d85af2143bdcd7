/** One bar segment: a user's spend on a day. */
export interface DailySpend {
  /** Calendar day, YYYY-MM-DD in the report's time zone; must be one of the chart's `days`. */
  day: string;
  /** Display name or user id; shown verbatim in the legend (any characters are safe). */
  user: string;
  /** Spend in US dollars, finite and >= 0. Several entries for one day and user are added up. */
  usd: number;
}

/** What a daily-spend chart shows. */
export interface DailySpendChart {
  /** Shown on top of the chart. */
  title: string;
  /**
   * Every slot of the x axis, YYYY-MM-DD, in order, without repeats, at least one; a day
   * without spend still gets its (empty) slot. The caller lists every day of the period.
   */
  days: readonly string[];
  /** The bars' segments; empty (or all zero) draws the axes and "No spend in this period". */
  spend: readonly DailySpend[];
  /** Width of the image in pixels, a whole number from 64 to 4096. */
  widthInPx: number;
  /** Height of the image in pixels, a whole number from 64 to 4096. */
  heightInPx: number;
}

/** Draws the charts of the cost report as images for chat. */
export interface ChartRenderer {
  /**
   * A stacked bar chart of spend per day, one colour per user (colours repeat past 20 users),
   * as a PNG of exactly `widthInPx` × `heightInPx` on white. No side effects; safe to call
   * concurrently. Rejects with MpiboxError('internal') when the input breaks the rules above,
   * and with the signal's reason when aborted.
   */
  dailySpendByUser(chart: DailySpendChart, abortSignal?: AbortSignal): Promise<Buffer>;
}
