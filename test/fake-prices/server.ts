import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seedItems } from './items.ts';
import { parseFilter } from './odata.ts';
import { publishedSamples } from './samples.ts';
import type { FakePrices, FakePricesOptions, PricesFault, PricesRequest, RetailPriceItem } from './types.ts';

const PATH = '/api/retail/prices';

interface State {
  origin: string;
  items: RetailPriceItem[];
  pageSize: number;
  faults: { fault: PricesFault; left: number }[];
  requests: PricesRequest[];
}

/**
 * Starts a fake Azure Retail Prices API over HTTP on 127.0.0.1 at a free port. GET only,
 * `api-version` required, `$filter` in the OData subset of `parseFilter`, pages through
 * `NextPageLink` with `$skip`. The envelope (BillingCurrency, CustomerEntityId/Type, Count) is the
 * real API's as commonly seen; shared/specs publishes only items, so those fields are ours.
 */
export async function startFakePrices(options: FakePricesOptions = {}): Promise<FakePrices> {
  const state: State = {
    origin: '',
    items: options.items ?? [...publishedSamples(), ...seedItems()],
    pageSize: options.pageSize ?? 100,
    faults: [],
    requests: [],
  };
  const server = createServer((req, res) => serve(state, req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: state.origin,
    apiUrl: `${state.origin}${PATH}`,
    get items() {
      return state.items;
    },
    set items(items: RetailPriceItem[]) {
      state.items = items;
    },
    requests: state.requests,
    setPageSize: (pageSize) => void (state.pageSize = pageSize),
    fail: (fault) => void state.faults.push({ fault, left: fault.times ?? 1 }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function serve(state: State, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', state.origin);
  const record: PricesRequest = {
    method: req.method ?? 'GET',
    path: url.pathname,
    apiVersion: url.searchParams.get('api-version'),
    filter: url.searchParams.get('$filter'),
    skip: Number(url.searchParams.get('$skip') ?? 0),
    status: 200,
    injected: false,
  };
  state.requests.push(record);
  const reply = (status: number, body: string, headers: Record<string, string> = {}) => {
    record.status = status;
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(body);
  };
  const error = (status: number, code: string, message: string) =>
    reply(status, JSON.stringify({ Error: { Code: code, Message: message } }));

  if (url.pathname !== PATH) return error(404, 'NotFound', 'no such resource');
  if (record.method !== 'GET') return error(405, 'MethodNotAllowed', 'GET only');
  const fault = state.faults.find((candidate) => candidate.left > 0);
  if (fault) {
    fault.left--;
    record.injected = true;
    if (fault.fault.kind === 'malformed') return reply(200, '{"BillingCurrency":"USD","Items":[{"curren');
    const { status, retryAfterInSeconds } = fault.fault;
    const headers: Record<string, string> =
      retryAfterInSeconds === undefined ? {} : { 'retry-after': String(retryAfterInSeconds) };
    return reply(status, JSON.stringify({ Error: { Code: `Fault${status}`, Message: 'injected' } }), headers);
  }
  if (!record.apiVersion) return error(400, 'BadRequest', 'api-version is required');
  if (!Number.isInteger(record.skip) || record.skip < 0) return error(400, 'BadRequest', 'invalid $skip');
  const parsed =
    record.filter === null ? { ok: true as const, test: () => true } : parseFilter(record.filter);
  if (!parsed.ok) return error(400, 'BadRequest', `Invalid OData parameters supplied: ${parsed.error}`);

  const matching = state.items.filter(parsed.test);
  const page = matching.slice(record.skip, record.skip + state.pageSize);
  const nextSkip = record.skip + state.pageSize;
  let nextPageLink: string | null = null;
  if (nextSkip < matching.length) {
    const next = new URL(url);
    next.searchParams.set('$skip', String(nextSkip));
    nextPageLink = next.toString();
  }
  reply(
    200,
    JSON.stringify({
      BillingCurrency: 'USD',
      CustomerEntityId: 'Default',
      CustomerEntityType: 'Retail',
      Items: page,
      NextPageLink: nextPageLink,
      Count: page.length,
    }),
  );
}
