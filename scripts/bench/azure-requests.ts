import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { JsonLogger } from '../../src/adapters/system/json-logger.ts';
import { SystemClock } from '../../src/adapters/system/system-clock.ts';
import type { Shell } from '../../src/ports/shell.ts';
import { makeAzureClients } from '../../src/providers/azure/azure-clients.ts';
import { AzureProvider } from '../../src/providers/azure/azure-provider.ts';
import { HostKeyPins } from '../../src/providers/azure/host-key-pins.ts';
import { FAST_POLL, fakeTokenCredential, startFakeArm } from '../../test/fake-arm/index.ts';

const NODE_COUNTS = [2, 8, 32];
const PORT_MAPPING = /\/queryInboundNatRulePortMapping$/i;
const OPERATION_URL = /\/operation(?:s|results)\/([^/?]+)/i;

/** One HTTP exchange as the SDK put it on the wire (each retry is its own exchange). */
interface WireCall {
  method: string;
  path: string;
  startInMs: number;
  endInMs: number;
  /** The operation this request polls (GET of an operation URL), else null. */
  pollOf: string | null;
  /** The operation this request started (its answer named one to poll), else null. */
  started: string | null;
}

/** What one verb sent, sorted out. */
interface Phase {
  total: number;
  /** Requests that started a long-running operation. */
  lroStarts: number;
  /** GETs of operation status URLs. */
  polls: number;
  /** Port-mapping queries: the POSTs and the polls of their operations. */
  portMappingPosts: number;
  portMappingPolls: number;
  /** The longest chain of operations each starting after the previous one ended. */
  sequentialLros: number;
  /** Requests by kind (method and path with names and ids replaced), port mapping excluded. */
  kinds: Map<string, number>;
  /** Requests the fake recorded in the same span (a cross-check of the wire count). */
  seenByFake: number;
}

/** create, info and terminate reach ARM only; nothing here logs in to a node. */
class NoShell implements Shell {
  async exec(): Promise<never> {
    throw new Error('the ARM request bench makes no SSH calls');
  }
  async scanHostKey(): Promise<never> {
    throw new Error('the ARM request bench makes no SSH calls');
  }
}

/** Records every exchange of a client, after its retry policy, so each attempt counts. */
function wireRecorder(calls: WireCall[]): PipelinePolicy {
  return {
    name: 'benchWireRecorder',
    async sendRequest(request, next) {
      const startInMs = performance.now();
      const response = await next(request);
      const url = new URL(request.url);
      const pollOf = request.method === 'GET' ? (OPERATION_URL.exec(url.pathname)?.[1] ?? null) : null;
      const named = response.headers.get('azure-asyncoperation') ?? response.headers.get('location');
      calls.push({
        method: request.method,
        path: decodeURIComponent(url.pathname),
        startInMs,
        endInMs: performance.now(),
        pollOf,
        started: pollOf === null && named ? (OPERATION_URL.exec(named)?.[1] ?? null) : null,
      });
      return response;
    },
  };
}

function kindOf(call: WireCall, startedBy: Map<string, WireCall>): string {
  if (call.pollOf !== null) {
    const start = startedBy.get(call.pollOf);
    return `GET status of ${start ? kindOf(start, startedBy) : 'an unknown operation'}`;
  }
  const path = call.path
    .replace(/^\/subscriptions\/[^/]+/i, '')
    .replace(/\/resourceGroups\/[^/]+/i, '/resourceGroups/{group}')
    .replace(/\/virtualMachines\/[^/]+/gi, '/virtualMachines/{instance}');
  return `${call.method} ${path}`;
}

/**
 * Sequential long-running operations: each operation spans from the request that started it
 * to the end of its last status poll. Timed on the client rather than from the fake's log: the
 * client sees the operation named in the answer's Azure-AsyncOperation or Location header, so
 * it can link each poll to the request that started it; the fake's log cannot.
 * Operations that overlap in time ran in parallel; the count is the longest chain in which
 * each operation starts only after the previous one ended — the waits `up` cannot avoid.
 */
function longestChain(calls: readonly WireCall[]): number {
  const spans = calls
    .filter((call) => call.started !== null)
    .map((call) => ({
      startInMs: call.startInMs,
      endInMs: Math.max(
        call.endInMs,
        ...calls.filter((poll) => poll.pollOf === call.started).map((poll) => poll.endInMs),
      ),
    }))
    .sort((a, b) => a.startInMs - b.startInMs);
  const chain: number[] = [];
  for (const [index, span] of spans.entries()) {
    const before = spans
      .slice(0, index)
      .flatMap((earlier, at) => (earlier.endInMs <= span.startInMs ? [chain[at] ?? 0] : []));
    chain.push(1 + Math.max(0, ...before));
  }
  return Math.max(0, ...chain);
}

function phaseOf(calls: readonly WireCall[], seenByFake: number): Phase {
  const startedBy = new Map(calls.flatMap((call) => (call.started ? [[call.started, call] as const] : [])));
  const isPortMapping = (call: WireCall) =>
    PORT_MAPPING.test(call.pollOf !== null ? (startedBy.get(call.pollOf)?.path ?? '') : call.path);
  const kinds = new Map<string, number>();
  for (const call of calls.filter((candidate) => !isPortMapping(candidate))) {
    const kind = kindOf(call, startedBy);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  return {
    total: calls.length,
    lroStarts: calls.filter((call) => call.started !== null).length,
    polls: calls.filter((call) => call.pollOf !== null).length,
    portMappingPosts: calls.filter((call) => call.pollOf === null && isPortMapping(call)).length,
    portMappingPolls: calls.filter((call) => call.pollOf !== null && isPortMapping(call)).length,
    sequentialLros: longestChain(calls),
    kinds,
    seenByFake,
  };
}

/** Kinds of request (port mapping aside) whose count differs between node counts. */
function growing(phases: readonly Phase[]): string[] {
  const kinds = new Set(phases.flatMap((phase) => [...phase.kinds.keys()]));
  return [...kinds].flatMap((kind) => {
    const counts = phases.map((phase) => phase.kinds.get(kind) ?? 0);
    return new Set(counts).size > 1 ? [`${kind}: ${counts.join(' / ')}`] : [];
  });
}

/** Columns padded to their widest cell, numbers right-aligned. */
function printTable(headers: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `  ${cells.map((cell, column) => cell.padStart(widths[column] ?? 0)).join(' | ')}`;
  console.log(line(headers));
  for (const row of rows) console.log(line(row));
}

/**
 * ARM requests of `up N` (create, then info for the SSH lines) on the fake ARM through the
 * real SDK clients, for a few N. Issue 9: only the port-mapping query, which Azure answers for
 * one backend address per call, may grow with N.
 */
export async function benchAzureRequests(): Promise<void> {
  const fake = await startFakeArm({ quotas: { standardHBrsv3Family: 100_000, cores: 100_000 } });
  const pinDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpibox-bench-pins-'));
  try {
    const calls: WireCall[] = [];
    const clients = makeAzureClients({
      credential: fakeTokenCredential(fake.token),
      subscriptionId: fake.subscriptionId,
      endpoint: fake.url,
      tlsCa: fake.certPem,
    });
    for (const client of [clients.resources, clients.network, clients.compute]) {
      client.pipeline.addPolicy(wireRecorder(calls), { afterPhase: 'Retry' });
    }
    const provider = new AzureProvider({
      clients,
      subscriptionId: fake.subscriptionId,
      location: 'eastus',
      vmSizes: ['Standard_HB120rs_v3'],
      image: { publisher: 'microsoft-dsvm', offer: 'ubuntu-hpc', sku: '2204', version: 'latest' },
      sshSources: ['203.0.113.0/24'],
      adminUsername: 'mpiboxadmin',
      jobUsername: 'mpi',
      botPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFr1Ws2I0z8fJxGqkSTW1xHC3cxk3V9KcN7Tyb9Q7sYh bench',
      maxNodesPerCluster: Math.max(...NODE_COUNTS),
      spotMaxPricePerHour: -1,
      customData: async () => '#cloud-config\n{}\n',
      pollOptions: FAST_POLL,
      shell: new NoShell(),
      pins: new HostKeyPins(pinDir),
      clock: new SystemClock(),
      logger: new JsonLogger('error'),
    });
    const measure = async (verb: () => Promise<unknown>): Promise<Phase> => {
      const [fromCall, fromFake] = [calls.length, fake.requests.length];
      await verb();
      return phaseOf(calls.slice(fromCall), fake.requests.length - fromFake);
    };

    const rows: { nodeCount: number; create: Phase; info: Phase }[] = [];
    for (const nodeCount of NODE_COUNTS) {
      const clusterId = `bench${nodeCount}-a1b2c3`;
      const create = await measure(() =>
        provider.create({
          clusterId,
          name: `bench${nodeCount}`,
          nodeCount,
          size: 'Standard_HB120rs_v3',
          spot: false,
          authorizedKeys: [],
          labels: { channelId: 'CBENCH', ownerId: 'UBENCH' },
        }),
      );
      const info = await measure(async () => {
        const endpoints = await provider.info(clusterId);
        if (endpoints?.nodes.length !== nodeCount)
          throw new Error(`info listed ${endpoints?.nodes.length} nodes`);
      });
      await provider.terminate(clusterId);
      rows.push({ nodeCount, create, info });
    }

    const split = (phase: Phase) => `${phase.total - phase.polls} + ${phase.polls}`;
    console.log('ARM requests of `up N` on the fake ARM (create, then info for the SSH lines):');
    printTable(
      [
        'N',
        'create',
        'initial + polls',
        'LROs (sequential)',
        'info',
        'initial + polls',
        'port mapping POSTs + polls',
        'info w/o port mapping',
        'LROs (sequential)',
      ],
      rows.map(({ nodeCount, create, info }) => [
        String(nodeCount),
        String(create.total),
        split(create),
        `${create.lroStarts} (${create.sequentialLros})`,
        String(info.total),
        split(info),
        `${info.portMappingPosts} + ${info.portMappingPolls}`,
        String(info.total - info.portMappingPosts - info.portMappingPolls),
        `${info.lroStarts} (${info.sequentialLros})`,
      ]),
    );
    console.log('  (LROs: long-running operations started, and the longest chain of them one after another;');
    console.log(
      '  polls: status and result GETs, one InProgress answer per operation on the fake, on Azure as long as it takes)',
    );
    const mismatched = rows
      .flatMap(({ create, info }) => [create, info])
      .filter((phase) => phase.total !== phase.seenByFake);
    if (mismatched.length > 0)
      console.log('  note: the fake recorded a different number of requests than the SDK sent');
    const grows = growing(rows.map(({ create }) => create));
    const infoGrows = growing(rows.map(({ info }) => info));
    const verdict = [...grows.map((line) => `create ${line}`), ...infoGrows.map((line) => `info ${line}`)];
    console.log(
      verdict.length === 0
        ? `  verdict: apart from port mapping, requests are constant in N (N = ${NODE_COUNTS.join(', ')})`
        : `  verdict: GROWS with N apart from port mapping (N = ${NODE_COUNTS.join(' / ')}): ${verdict.join('; ')}`,
    );
  } finally {
    await fake.close();
    fs.rmSync(pinDir, { recursive: true, force: true });
  }
}
