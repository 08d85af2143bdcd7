import { MpiboxError } from '../../domain/errors.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Logger } from '../../ports/logger.ts';
import { RETAIL_API_VERSION, RetailItemSchema, RetailPageSchema, type RetailItem } from './retail-items.ts';

/** How the client talks to the Retail Prices API. */
export interface RetailClientOptions {
  /** The endpoint, e.g. https://prices.azure.com/api/retail/prices. */
  apiUrl: string;
  fetch: typeof fetch;
  clock: Clock;
  logger: Logger;
  /** Pages followed per query before giving up (a guard against a NextPageLink loop). */
  maxPages: number;
  /** Tries per page, the first included, on 429, 5xx, network errors and unreadable bodies. */
  maxAttempts: number;
  /** One request's time limit, in ms. */
  requestTimeoutInMs: number;
}

/** Longest wait between tries, in ms, whatever Retry-After asks. */
const MAX_RETRY_DELAY_IN_MS = 60_000;

/** Every item matching the OData `filter`, following NextPageLink. Rejects with MpiboxError('provider'). */
export async function fetchRetailItems(
  options: RetailClientOptions,
  filter: string,
  abortSignal?: AbortSignal,
): Promise<RetailItem[]> {
  const first = new URL(options.apiUrl);
  // Built by hand so `$filter` keeps its dollar and spaces travel as %20, as Microsoft's examples do.
  first.search = `?api-version=${RETAIL_API_VERSION}&$filter=${encodeURIComponent(filter)}`;
  const items: RetailItem[] = [];
  let next: URL | null = first;
  for (let page = 0; next; page++) {
    if (page >= options.maxPages) {
      throw new MpiboxError('provider', 'retail prices: too many pages', { maxPages: options.maxPages });
    }
    const body = await getPage(options, next, abortSignal);
    for (const raw of body.Items) {
      const parsed = RetailItemSchema.safeParse(raw);
      if (parsed.success) items.push(parsed.data);
    }
    next = body.NextPageLink ? nextPageUrl(first, body.NextPageLink) : null;
  }
  return items;
}

/** The next page's URL, refused unless it is on the API's own origin (we send nothing secret, but stay put). */
function nextPageUrl(first: URL, link: string): URL {
  const next = new URL(link, first);
  if (next.origin !== first.origin) {
    throw new MpiboxError('provider', 'retail prices: NextPageLink leaves the API', { origin: next.origin });
  }
  if (!next.searchParams.has('api-version')) next.searchParams.set('api-version', RETAIL_API_VERSION);
  return next;
}

type Attempt =
  | { ok: true; body: { Items: unknown[]; NextPageLink?: string | null | undefined } }
  | { ok: false; retry: boolean; reason: string; status?: number; retryAfterInMs?: number };

async function getPage(options: RetailClientOptions, url: URL, abortSignal?: AbortSignal) {
  for (let attempt = 1; ; attempt++) {
    const result = await tryOnce(options, url, abortSignal);
    if (result.ok) return result.body;
    const fields = { reason: result.reason, status: result.status ?? 0, attempts: attempt };
    if (!result.retry || attempt >= options.maxAttempts) {
      throw new MpiboxError('provider', `retail prices: ${result.reason}`, fields);
    }
    // Exponential backoff 1 s, 2 s, 4 s… unless the server said how long (429 Retry-After).
    const delayInMs = Math.min(result.retryAfterInMs ?? 1000 * 2 ** (attempt - 1), MAX_RETRY_DELAY_IN_MS);
    options.logger.warn('retail prices request failed, retrying', { ...fields, delayInMs });
    await options.clock.sleep(delayInMs, abortSignal);
  }
}

async function tryOnce(options: RetailClientOptions, url: URL, abortSignal?: AbortSignal): Promise<Attempt> {
  const timeout = AbortSignal.timeout(options.requestTimeoutInMs);
  const signal = abortSignal ? AbortSignal.any([abortSignal, timeout]) : timeout;
  let response: Response;
  let text: string;
  try {
    response = await options.fetch(url, { headers: { accept: 'application/json' }, signal });
    text = await response.text();
  } catch (error) {
    abortSignal?.throwIfAborted();
    return { ok: false, retry: true, reason: `request failed (${(error as Error).name})` };
  }
  if (response.status === 429 || response.status >= 500) {
    const retryAfterInMs = parseRetryAfter(response.headers.get('retry-after'), options.clock.nowInMs());
    return {
      ok: false,
      retry: true,
      reason: `HTTP ${response.status}`,
      status: response.status,
      retryAfterInMs,
    };
  }
  if (!response.ok)
    return { ok: false, retry: false, reason: `HTTP ${response.status}`, status: response.status };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, retry: true, reason: 'body is not JSON', status: response.status };
  }
  const page = RetailPageSchema.safeParse(json);
  if (!page.success) return { ok: false, retry: true, reason: 'body has no Items', status: response.status };
  return { ok: true, body: page.data };
}

/** Retry-After as delay-seconds or an HTTP date (RFC 9110 §10.2.3), in ms; undefined when absent or odd. */
function parseRetryAfter(header: string | null, nowInMs: number): number | undefined {
  if (header === null) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const atMs = Date.parse(header);
  return Number.isNaN(atMs) ? undefined : Math.max(0, atMs - nowInMs);
}
