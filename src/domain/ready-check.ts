import { shellQuote } from './job.ts';

/**
 * The MPI check a cluster passes before it is called ready (issue 9, point 5): the commands
 * that build and run scripts/mpi-check/mpibox-check.c on node 0, and the reading of what it
 * printed. Pure: services/ready-check.ts runs the commands over SSH.
 */

/** What a passed check measured, for the card. */
export interface ReadyCheckReport {
  /** Ranks that took part (every one exchanged data). */
  ranks: number;
  /** Nodes they ran on. */
  nodes: number;
  /** Worst half round trip of an 8-byte message between node 0 and another node, µs; null on one node. */
  worstLatencyInUs: number | null;
  /** Lowest node-0-to-node bandwidth of 4 MiB messages, MB/s; null on one node. */
  lowestBandwidthInMBps: number | null;
  /** The node with the worst latency (its index), null on one node. */
  slowestNode: number | null;
}

/** Why a check failed, pinned on a node where the output tells which. */
export interface ReadyCheckFault {
  /** Index of the node at fault; null when the output names none. */
  node: number | null;
  /** What went wrong, in a few words (the tool's own last words where there are some). */
  reason: string;
}

/** Ranks per node in the check: enough for shared memory inside a node, bounded start-up on big nodes. */
export function checkRanksPerNode(slots: number): number {
  return Math.max(1, Math.min(slots, 8));
}

/** Where the check program lives on the shared folder: named by its source's hash, built once. */
export function checkBinaryPath(sharedDir: string, sourceHash: string): string {
  return `${sharedDir}/.mpibox/mpibox-check-${sourceHash.slice(0, 12)}`;
}

/** Exit status of the check command when the program could not be built. */
export const BUILD_FAILED = 90;
/** Exit status of `timeout` when the run took too long. */
export const TIMED_OUT = 124;

/**
 * Builds the program from the source on stdin (unless built before: the name holds its hash)
 * and runs it with `ranksPerNode` ranks on every node of the machinefile, killed after
 * `timeoutInSeconds`. Runs on node 0 as the job user, from the shared folder, so every node
 * sees the program.
 */
export function checkCommand(input: {
  binary: string;
  launcher: readonly string[];
  machinefile: string;
  nodes: number;
  ranksPerNode: number;
  timeoutInSeconds: number;
}): string {
  const bin = shellQuote(input.binary);
  const mpiexec = [
    ...input.launcher,
    '--machinefile',
    input.machinefile,
    '-n',
    String(input.nodes * input.ranksPerNode),
    '--map-by',
    `ppr:${input.ranksPerNode}:node`,
    input.binary,
    String(input.ranksPerNode),
  ]
    .map(shellQuote)
    .join(' ');
  return [
    `if [ -x ${bin} ]; then cat > /dev/null; else`,
    `  mkdir -p "$(dirname ${bin})" && cat > ${bin}.c &&`,
    `  mpicc -O2 -o ${bin}.$$ ${bin}.c 2>&1 && mv ${bin}.$$ ${bin} || exit ${BUILD_FAILED}`,
    'fi',
    `exec timeout -k 5 ${input.timeoutInSeconds} ${mpiexec} 2>&1`,
  ].join('\n');
}

/**
 * From node 0, asks every other node (at its machinefile address, the way mpiexec reaches it)
 * whether it answers and sees the program on the shared folder. One line per node:
 * `MPIBOX-PROBE <index> ok|missing|unreachable <last words>`.
 */
export function probeCommand(binary: string, addresses: readonly string[]): string {
  const lines = [
    // Open MPI reaches the nodes with this agent (the local provider sets one with its own ssh_config).
    'agent="${OMPI_MCA_plm_rsh_agent:-ssh}"',
    `probe() {`,
    `  out=$($agent -o BatchMode=yes -o ConnectTimeout=10 "$2" ${shellQuote(`test -x ${shellQuote(binary)} && echo MPIBOX-SEEN`)} 2>&1 < /dev/null)`,
    // ssh exits 255 for its own failures, else with the remote command's status.
    `  if [ $? -eq 255 ]; then echo "MPIBOX-PROBE $1 unreachable $(echo "$out" | tail -n 1)"`,
    `  elif echo "$out" | grep -q MPIBOX-SEEN; then echo "MPIBOX-PROBE $1 ok"`,
    `  else echo "MPIBOX-PROBE $1 missing"; fi`,
    '}',
  ];
  addresses.forEach((address, index) => {
    if (index > 0) lines.push(`probe ${index} ${shellQuote(address)} &`);
  });
  lines.push('wait');
  return lines.join('\n');
}

/** Reads a passed check's figures; null when the output lacks its final `done … ok` line. */
export function parseCheckReport(output: string): ReadyCheckReport | null {
  const done = /^MPIBOX-CHECK done (\d+) (\d+) ok$/m.exec(output);
  if (!done) return null;
  const peers = [...output.matchAll(/^MPIBOX-CHECK peer (\d+) \S+ ([\d.]+) ([\d.]+)$/gm)].map((match) => ({
    node: Number(match[1]),
    latency: Number(match[2]),
    bandwidth: Number(match[3]),
  }));
  const slowest = peers.reduce<(typeof peers)[number] | null>(
    (worst, peer) => (worst === null || peer.latency > worst.latency ? peer : worst),
    null,
  );
  return {
    ranks: Number(done[1]),
    nodes: Number(done[2]),
    worstLatencyInUs: slowest?.latency ?? null,
    lowestBandwidthInMBps: peers.length > 0 ? Math.min(...peers.map((peer) => peer.bandwidth)) : null,
    slowestNode: slowest?.node ?? null,
  };
}

/**
 * Why a check failed, from its exit status and output and, when those name no node, the probe's
 * lines. `addresses` are the machinefile entries by node index (mpiexec's errors name them).
 */
export function diagnoseCheck(
  run: { exitCode: number | null; output: string },
  probe: string | null,
  addresses: readonly string[],
): ReadyCheckFault {
  const { exitCode, output } = run;
  const bad = /^MPIBOX-CHECK bad (\d+) \S+ (.+)$/m.exec(output);
  if (bad) return { node: Number(bad[1]), reason: bad[2]! };
  if (exitCode === BUILD_FAILED)
    return { node: 0, reason: `could not build the MPI check program: ${lastWords(output)}` };
  const probed = probe === null ? null : probeFault(probe);
  if (probed) return probed;
  const named = addresses.findIndex((address, index) => index > 0 && mentions(output, address));
  const reason =
    exitCode === TIMED_OUT
      ? 'mpiexec did not finish in time (a node that does not answer, or a blocked network)'
      : `mpiexec failed${exitCode === null ? '' : ` (exit status ${exitCode})`}: ${lastWords(output)}`;
  return { node: named > 0 ? named : null, reason };
}

function probeFault(probe: string): ReadyCheckFault | null {
  // The probes run side by side: the lowest node at fault is named, whatever order they ended in.
  const found = [...probe.matchAll(/^MPIBOX-PROBE (\d+) (missing|unreachable) ?(.*)$/gm)].sort(
    (a, b) => Number(a[1]) - Number(b[1]),
  )[0];
  if (!found) return null;
  const node = Number(found[1]);
  return found[2] === 'missing'
    ? { node, reason: 'it does not see the shared folder (the check program built on node 0 is not there)' }
    : { node, reason: `node 0 cannot reach it over SSH: ${found[3] || 'no answer'}` };
}

/** Whether `text` names `address` as a whole word (10.0.0.5 is not in 10.0.0.50). */
function mentions(text: string, address: string): boolean {
  const escaped = address.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\w.-])${escaped}($|[^\\w.-])`).test(text);
}

/** The last meaningful line of a tool's output, capped: Open MPI frames its messages in dashes. */
function lastWords(output: string): string {
  const lines = output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^-+$/.test(line) && !line.startsWith('MPIBOX-CHECK'));
  const last = lines.at(-1) ?? 'no output';
  return last.length > 300 ? `${last.slice(0, 300)}…` : last;
}

/** The card's line for a passed check. */
export function describeReport(report: ReadyCheckReport): string {
  const base = `MPI check passed: ${report.ranks} rank${report.ranks === 1 ? '' : 's'} on ${report.nodes} node${report.nodes === 1 ? '' : 's'} (allreduce and ring)`;
  if (report.worstLatencyInUs === null || report.lowestBandwidthInMBps === null) return `${base}.`;
  const bandwidth =
    report.lowestBandwidthInMBps >= 1000
      ? `${(report.lowestBandwidthInMBps / 1000).toFixed(1)} GB/s`
      : `${Math.round(report.lowestBandwidthInMBps)} MB/s`;
  return `${base}; node 0 to the others: latency ${report.worstLatencyInUs.toFixed(1)} µs at worst, bandwidth ${bandwidth} at least.`;
}
