import { createHash } from 'node:crypto';
import { MpiboxError, isMpiboxError } from '../domain/errors.ts';
import {
  checkBinaryPath,
  checkCommand,
  checkRanksPerNode,
  describeReport,
  diagnoseCheck,
  parseCheckReport,
  probeCommand,
} from '../domain/ready-check.ts';
import type { ClusterInfo } from '../ports/cloud-provider.ts';
import type { Shell, SshTarget } from '../ports/shell.ts';

/** Runs the MPI check of a cluster that answers SSH, before it is called ready. */
export interface ReadyCheck {
  /**
   * Resolves with the card's line on what the check measured; rejects with
   * MpiboxError('provider', fields `check`, `node`, `reason`) naming the node at fault.
   */
  run(info: ClusterInfo, abortSignal?: AbortSignal): Promise<string>;
}

export interface MpiReadyCheckDeps {
  shell: Shell;
  /** mpiexec and its fixed arguments on the nodes (the provider's launcher). */
  launcher: readonly string[];
  /** Source of the check program (scripts/mpi-check/mpibox-check.c). */
  source: string;
  /** How long the MPI run may take before it is killed and the cluster judged broken. */
  timeoutInMs: number;
}

/**
 * The check over SSH, as the job user on node 0: build the program once on the shared folder,
 * run it across every node with several ranks per node, and when it fails, find the node at
 * fault (its own report, mpiexec's words, or a probe of every node from node 0).
 */
export class MpiReadyCheck implements ReadyCheck {
  readonly #deps: MpiReadyCheckDeps;
  readonly #sourceHash: string;

  constructor(deps: MpiReadyCheckDeps) {
    this.#deps = deps;
    this.#sourceHash = createHash('sha256').update(deps.source).digest('hex');
  }

  async run(info: ClusterInfo, abortSignal?: AbortSignal): Promise<string> {
    const { shell, launcher, source, timeoutInMs } = this.#deps;
    const node0 = info.nodes[0];
    if (!node0) throw new MpiboxError('provider', 'MPI check failed', { check: true, reason: 'no nodes' });
    const target: SshTarget = {
      host: node0.host,
      port: node0.port,
      user: info.botUser,
      ...(info.jobsRunAs ? { runAs: info.jobsRunAs } : {}),
    };
    const binary = checkBinaryPath(info.sharedDir, this.#sourceHash);
    const addresses = info.nodes.map((node) => node.privateAddress);
    const timeoutInSeconds = Math.max(1, Math.ceil(timeoutInMs / 1000));
    const command = checkCommand({
      binary,
      launcher,
      machinefile: info.machinefilePath,
      nodes: info.nodes.length,
      ranksPerNode: checkRanksPerNode(Math.min(...info.nodes.map((node) => node.slots))),
      timeoutInSeconds,
    });
    let run;
    try {
      // The build and `timeout -k 5` come on top of the run's own limit.
      run = await shell.exec(target, command, {
        timeoutInMs: timeoutInMs + 90_000,
        stdin: source,
        ...(abortSignal ? { abortSignal } : {}),
      });
    } catch (error) {
      throw fault(info, { node: 0, reason: isMpiboxError(error) ? error.message : 'SSH failed' }, error);
    }
    const report = run.exitCode === 0 ? parseCheckReport(run.stdout) : null;
    if (report) return describeReport(report);
    const output = `${run.stdout}\n${run.stderr}`;
    const probe =
      info.nodes.length > 1
        ? await shell
            .exec(target, probeCommand(binary, addresses), { timeoutInMs: 60_000 })
            .then((result) => result.stdout)
            .catch(() => null)
        : null;
    throw fault(info, diagnoseCheck({ exitCode: run.exitCode, output }, probe, addresses));
  }
}

function fault(
  info: ClusterInfo,
  found: { node: number | null; reason: string },
  cause?: unknown,
): MpiboxError {
  const node = found.node === null ? undefined : info.nodes[found.node];
  return new MpiboxError(
    'provider',
    'MPI check failed',
    {
      check: true,
      reason: found.reason,
      ...(node ? { node: `${node.name} (${node.privateAddress})` } : {}),
    },
    { cause },
  );
}
