import { validate as isCronExpression } from 'node-cron';
import { z } from 'zod';
import { parseDuration } from '../domain/job.ts';
import { isTimeZone } from '../domain/time-zone.ts';

/**
 * Settings of idle reaping, prices, reports and budgets (issue 10), part of the one config
 * schema (config.ts merges this shape in, so every problem is still reported at once).
 */

const MAX_DURATION_IN_MS = 30 * 86_400_000;

/** `30m`, `10s`, `2h`, `1d` (parseDuration's forms), at most 30 days. */
const duration = z.string().transform((text, context) => {
  const ms = parseDuration(text.trim());
  if (ms === null || ms > MAX_DURATION_IN_MS) {
    context.addIssue({ code: 'custom', message: 'a duration such as 30s, 10m, 2h or 1d (at most 30d)' });
    return z.NEVER;
  }
  return ms;
});

/** A cron expression of five fields, or six with seconds first; `off` turns the schedule off. */
const schedule = z
  .string()
  .refine(
    (text) => text === 'off' || (isCronExpression(text) && [5, 6].includes(text.trim().split(/\s+/).length)),
    'a cron expression such as "* * * * *" (six fields allowed: seconds first), or off',
  );

/** `C123=500,C456=1200`: a monthly budget in USD per channel id. */
const budgets = z.string().transform((text, context) => {
  const result: Record<string, number> = {};
  for (const item of text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const match = /^([CG][A-Z0-9]+|console)=(\d{1,9}(?:\.\d{1,2})?)$/.exec(item);
    if (!match || Number(match[2]) <= 0) {
      context.addIssue({
        code: 'custom',
        message: `${JSON.stringify(item)} is not CHANNEL=USD, e.g. C0123ABC=500`,
      });
      continue;
    }
    result[match[1]!] = Number(match[2]);
  }
  return result;
});

export const COST_ENV_SHAPE = {
  MPIBOX_IDLE_TIMEOUT: duration.default(30 * 60_000),
  MPIBOX_REAP_GRACE: duration.default(10 * 60_000),
  MPIBOX_REAP_ACTION: z
    .enum(['stop', 'delete'], { message: 'stop (deallocate, disks kept) or delete' })
    .default('stop'),
  MPIBOX_KEEP_MAX: duration.default(12 * 3_600_000),
  MPIBOX_STUCK_AFTER: duration.default(2 * 3_600_000),
  MPIBOX_REAPER_SCHEDULE: schedule.default('* * * * *'),
  MPIBOX_REPORT_SCHEDULE: schedule.default('0 9 * * 1'),
  MPIBOX_REPORT_TZ: z.string().refine(isTimeZone, 'an IANA time zone such as Europe/Berlin').default('UTC'),
  MPIBOX_REPORT_CHANNEL: z
    .string()
    .regex(/^[CG][A-Z0-9]+$|^console$/, 'a Slack channel id such as C0123ABC')
    .optional(),
  MPIBOX_BUDGETS: budgets.default({}),
  /** The Azure Retail Prices API; `off` keeps to the shipped snapshot (and the cache). */
  MPIBOX_PRICES_URL: z
    .union([z.literal('off'), z.string().url()])
    .default('https://prices.azure.com/api/retail/prices'),
  /** Local clusters are priced as this Azure size in this region: `Standard_HB120rs_v3@eastus`. */
  MPIBOX_LOCAL_PRICE_AS: z
    .string()
    .regex(
      /^(Standard|Basic)_[A-Za-z0-9_-]{1,40}@[a-z][a-z0-9]{2,39}$/,
      'SIZE@REGION, e.g. Standard_HB120rs_v3@eastus',
    )
    .default('Standard_HB120rs_v3@eastus'),
};

/** What config.ts exposes of these settings. */
export interface CostConfig {
  reaper: {
    idleTimeoutInMs: number;
    graceInMs: number;
    action: 'stop' | 'delete';
    keepMaxInMs: number;
    stuckAfterInMs: number;
    /** Cron expression of the reaper's tick; null when off. */
    schedule: string | null;
  };
  reports: {
    /** Cron expression of the scheduled report; null when off. */
    schedule: string | null;
    timeZone: string;
    /** Where it goes; null: no scheduled report. */
    channelId: string | null;
  };
  /** Monthly budget in USD by channel id. */
  budgets: Record<string, number>;
  prices: {
    /** Retail Prices API base URL; null: snapshot and cache only. */
    apiUrl: string | null;
    /** What a local node is priced as. */
    localEquivalent: { size: string; region: string };
  };
}

type CostEnv = z.output<ReturnType<typeof z.object<typeof COST_ENV_SHAPE>>>;

export function pickCost(e: CostEnv): CostConfig {
  const [size, region] = e.MPIBOX_LOCAL_PRICE_AS.split('@') as [string, string];
  return {
    reaper: {
      idleTimeoutInMs: e.MPIBOX_IDLE_TIMEOUT,
      graceInMs: e.MPIBOX_REAP_GRACE,
      action: e.MPIBOX_REAP_ACTION,
      keepMaxInMs: e.MPIBOX_KEEP_MAX,
      stuckAfterInMs: e.MPIBOX_STUCK_AFTER,
      schedule: e.MPIBOX_REAPER_SCHEDULE === 'off' ? null : e.MPIBOX_REAPER_SCHEDULE,
    },
    reports: {
      schedule: e.MPIBOX_REPORT_SCHEDULE === 'off' ? null : e.MPIBOX_REPORT_SCHEDULE,
      timeZone: e.MPIBOX_REPORT_TZ,
      channelId: e.MPIBOX_REPORT_CHANNEL ?? null,
    },
    budgets: e.MPIBOX_BUDGETS,
    prices: {
      apiUrl: e.MPIBOX_PRICES_URL === 'off' ? null : e.MPIBOX_PRICES_URL,
      localEquivalent: { size, region },
    },
  };
}
