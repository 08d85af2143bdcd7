import { REDACTED, scrubText } from '../../domain/secret-text.ts';

/**
 * Keys whose values never reach a log line, at any depth and in any case, whatever they hold
 * (`botToken`, `signingSecret`, `headers.Authorization`, `AccountKey`, `sasUrl`, …).
 */
const SECRET_KEYS =
  /token|secret|passw(?:or)?d|^pwd$|private.?key|^private$|sas|signature|authori[sz]ation|connection.?string|account.?key|cookie|credential|api.?key/i;

/** Deeper than this, a value is written as a placeholder: log metadata is never that deep. */
const MAX_DEPTH = 8;

/** How values are cleaned before they are written. */
export interface ScrubOptions {
  /** Exact secrets to replace wherever they appear (from `prepareSecrets`). */
  knownSecrets: readonly string[];
  /** Whether errors keep their stack trace (scrubbed too); only when logging at debug. */
  withStacks: boolean;
}

/**
 * A copy of log metadata fit to write: secret-named keys censored, every string (at any depth,
 * in arrays, in error messages, causes and stacks) scrubbed of secret-looking text, errors
 * turned into `{ name, message, code, fields, cause }`. The input is not changed.
 */
export function scrubFields(fields: Record<string, unknown>, options: ScrubOptions): Record<string, unknown> {
  return scrubEntries(Object.entries(fields), options, 0, new WeakSet());
}

function scrub(value: unknown, options: ScrubOptions, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return scrubText(value, options.knownSecrets);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'symbol' || typeof value === 'function') return undefined;
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  try {
    return scrubObject(value, options, depth, seen);
  } catch {
    return '[unreadable]'; // a getter that throws, a revoked proxy
  } finally {
    // Only the path from the root counts: a value met twice side by side is written twice.
    seen.delete(value);
  }
}

function scrubObject(value: object, options: ScrubOptions, depth: number, seen: WeakSet<object>): unknown {
  const next = (item: unknown) => scrub(item, options, depth + 1, seen);
  if (value instanceof Error) return scrubError(value, options, depth, seen);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof URL) return scrubText(value.href, options.knownSecrets);
  // Bytes are never written: they may be a key file read from disk.
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `[${value.byteLength} bytes]`;
  if (Array.isArray(value)) return value.map(next);
  if (value instanceof Set) return [...value].map(next);
  if (value instanceof Map)
    return scrubEntries(
      [...value].map(([key, item]) => [String(key), item]),
      options,
      depth,
      seen,
    );
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return next(toJSON.call(value));
  return scrubEntries(Object.entries(value), options, depth, seen);
}

function scrubEntries(
  entries: [string, unknown][],
  options: ScrubOptions,
  depth: number,
  seen: WeakSet<object>,
): Record<string, unknown> {
  const clean: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    const name = scrubText(key, options.knownSecrets);
    // An unset secret (null) says something useful and gives nothing away.
    if (SECRET_KEYS.test(key) && value !== null && value !== undefined) clean[name] = REDACTED;
    else clean[name] = scrub(value, options, depth + 1, seen);
  }
  return clean;
}

/**
 * Only the fields we know to be safe once scrubbed: an SDK error may carry the whole request
 * (the Azure SDK's RestError has its headers, Authorization included), so nothing else is copied.
 */
function scrubError(
  error: Error,
  options: ScrubOptions,
  depth: number,
  seen: WeakSet<object>,
): Record<string, unknown> {
  const text = (value: string) => scrubText(value, options.knownSecrets);
  const next = (value: unknown) => scrub(value, options, depth + 1, seen);
  const { code, fields, statusCode, cause, errors } = error as Error & Record<string, unknown>;
  return {
    name: text(String(error.name)),
    message: text(String(error.message)),
    code: typeof code === 'string' || typeof code === 'number' ? next(code) : undefined,
    fields: typeof fields === 'object' && fields !== null ? next(fields) : undefined,
    statusCode: typeof statusCode === 'number' ? statusCode : undefined,
    cause: cause === undefined ? undefined : next(cause),
    errors: Array.isArray(errors) ? next(errors) : undefined, // AggregateError
    stack: options.withStacks && typeof error.stack === 'string' ? text(error.stack) : undefined,
  };
}
