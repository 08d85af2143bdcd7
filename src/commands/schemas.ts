/**
 * zod schemas for single command arguments. Each takes the raw token (a string) and either
 * outputs the typed value or fails with a message that completes "<Label> `<token>` …".
 */
import { z } from 'zod';
import { CLUSTER_NAME_PATTERN } from '../domain/cluster.ts';
import { parseDuration } from '../domain/job.ts';
import { parsePublicKey } from '../domain/ssh-key.ts';

/** A node count: plain decimal digits, 1..maxNodes. No signs, hex, exponents or fractions. */
export function nodeCountSchema(maxNodes: number) {
  return countSchema(maxNodes, `is more than the maximum of ${maxNodes} nodes per cluster`);
}

/** Largest `-n` and `--ppn` of `run`. */
export const MAX_RANKS = 4096;
/** Largest `--tail` of `logs`. */
export const MAX_TAIL_LINES = 1000;
/** Job ids are small positive integers; the bound keeps them exact and the echo short. */
export const MAX_JOB_ID = 1_000_000_000;
/** Longest `--timeout` of `run`. */
export const MAX_TIMEOUT_IN_MS = 7 * 86_400_000;
/** Longest command after `--`: a shell line, not a script. */
export const MAX_RUN_COMMAND_CHARS = 4000;

/** `-n`, `--ppn`: plain decimal digits, 1..4096. */
export const rankCountSchema = countSchema(MAX_RANKS);

/** `--tail`: plain decimal digits, 1..1000. */
export const tailLinesSchema = countSchema(MAX_TAIL_LINES);

/** `7` or `#7` (as `/mpi jobs` shows it), 1..10^9. */
export const jobIdSchema = z.string().transform((text, ctx) => {
  const id = /^#?[0-9]{1,10}$/.test(text) ? Number(text.replace('#', '')) : 0;
  if (id >= 1 && id <= MAX_JOB_ID) return id;
  ctx.issues.push({
    code: 'custom',
    message: 'is not a job id: use the number `/mpi jobs` shows, like `7` or `#7`',
    input: text,
  });
  return z.NEVER;
});

/** `--timeout`: `90s`, `15m`, `2h`, `1h30m`, `1d` (parseDuration's forms), more than zero, at most 7 days. */
export const timeoutSchema = z.string().transform((text, ctx) => {
  const timeoutInMs = parseDuration(text);
  if (timeoutInMs !== null && timeoutInMs <= MAX_TIMEOUT_IN_MS) return timeoutInMs;
  const message =
    timeoutInMs === null
      ? 'is not valid: use a duration above zero, like `90s`, `15m`, `2h`, `1h30m` or `1d`'
      : 'is longer than the maximum of 7 days';
  ctx.issues.push({ code: 'custom', message, input: text });
  return z.NEVER;
});

/** `keep`'s length: a duration (`2h`, `90m`, `1d`) or `tonight`. Its cap is the admins' (the service says so). */
export const keepDurationSchema = z.string().transform((text, ctx): number | 'tonight' => {
  if (text.toLowerCase() === 'tonight') return 'tonight';
  const forMs = parseDuration(text);
  if (forMs !== null && forMs <= 366 * 86_400_000) return forMs;
  ctx.issues.push({
    code: 'custom',
    message: 'is not a duration: use `30m`, `2h`, `1h30m`, `1d` or `tonight`',
    input: text,
  });
  return z.NEVER;
});

/** `cost`'s period: `today`, `week` or `month`. */
export const costPeriodSchema = z.string().transform((text, ctx): 'day' | 'week' | 'month' => {
  const period = ({ today: 'day', day: 'day', week: 'week', month: 'month' } as const)[
    text.toLowerCase() as 'today'
  ];
  if (period) return period;
  ctx.issues.push({
    code: 'custom',
    message: 'is not a period: use `today`, `week` or `month`',
    input: text,
  });
  return z.NEVER;
});

/**
 * The user's own shell command after `--`, trimmed and otherwise verbatim. Shell syntax, quotes
 * and any other characters are the point of it and stay; only emptiness (the binder reports it),
 * length and NUL (which no command line can carry) are refused. Messages are whole sentences
 * because there is no token to quote.
 */
export const runCommandSchema = z.string().transform((text, ctx) => {
  const command = text.trim();
  const message =
    command.length > MAX_RUN_COMMAND_CHARS
      ? `The command after \`--\` is too long (${command.length} characters; the limit is ${MAX_RUN_COMMAND_CHARS}).`
      : command.includes('\u0000')
        ? 'The command after `--` contains a NUL character (U+0000); please retype it.'
        : command === ''
          ? 'The command after `--` is empty.'
          : null;
  if (message === null) return command;
  ctx.issues.push({ code: 'custom', message, input: text });
  return z.NEVER;
});

/**
 * A whole number from plain decimal digits: 1..max. No signs, hex, exponents or fractions.
 * The digits are compared as text first, so 400 of them are "more than the maximum", never a
 * number that overflowed to Infinity.
 */
function countSchema(max: number, tooMany?: string) {
  const rule = `must be a whole number from 1 to ${max}`;
  return z.string().transform((text, ctx) => {
    const digits = /^[0-9]+$/.test(text) ? text.replace(/^0+(?=.)/, '') : null;
    const value = digits !== null && digits.length <= String(max).length ? Number(digits) : null;
    if (value !== null && value >= 1 && value <= max) return value;
    const message = digits !== null && digits !== '0' ? (tooMany ?? rule) : rule;
    ctx.issues.push({ code: 'custom', message, input: text });
    return z.NEVER;
  });
}

export const clusterNameSchema = z.string().regex(CLUSTER_NAME_PATTERN, {
  error: 'is not valid: names are a lowercase letter, then 1–30 lowercase letters, digits or dashes',
});

/** A VM size (SKU) such as `Standard_D4s_v5`; the provider checks it exists. */
export const sizeSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, {
  error: 'is not valid: a VM size has up to 64 letters, digits, `_`, `.` or `-`',
});

/**
 * `SHA256:` and 43 unpadded base64 characters (256 bits: the last character carries 2 unused
 * bits, which must be zero, so only 16 characters can end it).
 */
export const fingerprintSchema = z.string().regex(/^SHA256:[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]$/, {
  error: 'is not valid: use the `SHA256:…` fingerprint that `/mpi key list` shows',
});

/** The raw rest of the line after `key add`; the message is parsePublicKey's own. */
export const publicKeySchema = z.string().transform((line, ctx) => {
  const result = parsePublicKey(line);
  if (result.ok) return result.key;
  ctx.issues.push({ code: 'custom', message: result.message, input: line });
  return z.NEVER;
});
