import { cancelGroupCommand, followCommand, launchCommand, sweepCommand } from '../../domain/job-script.ts';
import { MpiboxError } from '../../domain/errors.ts';
import type { JobLaunch, JobOutcome, JobRunner } from '../../ports/job-runner.ts';
import type { KnownHostKeys, Shell, SshTarget } from '../../ports/shell.ts';
import { connect, exitCodeOf, onChannelClose, openExec } from './connect.ts';

/** JobRunner over ssh2: short commands through the Shell, the log through a streaming channel. */
export class Ssh2JobRunner implements JobRunner {
  readonly #privateKey: Buffer;
  readonly #knownHostKeys: KnownHostKeys;
  readonly #shell: Shell;

  constructor(privateKey: Buffer, knownHostKeys: KnownHostKeys, shell: Shell) {
    this.#privateKey = privateKey;
    this.#knownHostKeys = knownHostKeys;
    this.#shell = shell;
  }

  async start(target: SshTarget, launch: JobLaunch, abortSignal?: AbortSignal): Promise<{ pid: number }> {
    const result = await this.#shell.exec(target, launchCommand(launch.remoteDir), {
      timeoutInMs: 30_000,
      stdin: launch.script,
      ...(abortSignal ? { abortSignal } : {}),
    });
    const pid = Number(result.stdout.trim());
    if (result.exitCode !== 0 || !Number.isInteger(pid) || pid <= 1) {
      throw new MpiboxError('provider', 'job did not start', {
        exitCode: result.exitCode ?? -1,
        stderr: result.stderr.slice(0, 300),
      });
    }
    return { pid };
  }

  async follow(
    target: SshTarget,
    job: { remoteDir: string; pid: number; fromByte: number },
    onData: (chunk: Buffer) => void | Promise<void>,
    abortSignal?: AbortSignal,
  ): Promise<JobOutcome> {
    // Aborting closes the connection too, even while it is still being made.
    const client = await connect(target, this.#privateKey, {
      readyTimeoutInMs: 20_000,
      knownHostKeys: this.#knownHostKeys,
      ...(abortSignal ? { abortSignal } : {}),
    });
    try {
      const channel = await openExec(client, followCommand(job.remoteDir, job.pid, job.fromByte), target);
      return await new Promise<JobOutcome>((resolve, reject) => {
        let stderr = '';
        let failed = false;
        const fail = (error: unknown): void => {
          failed = true;
          channel.close();
          reject(error);
        };
        const onAbort = (): void => fail(new MpiboxError('timeout', 'log follow aborted', {}));
        abortSignal?.addEventListener('abort', onAbort, { once: true });
        if (abortSignal?.aborted) onAbort(); // aborted while the channel was opening
        channel.on('data', (chunk: Buffer) => {
          const pending = onData(chunk);
          if (pending instanceof Promise) {
            // Backpressure: stop reading until the consumer has the chunk.
            channel.pause();
            pending.then(() => channel.resume(), fail);
          }
        });
        channel.stderr.on('data', (chunk: Buffer) => {
          stderr = (stderr + chunk.toString('utf8')).slice(-4096);
        });
        onChannelClose(channel, () => {
          abortSignal?.removeEventListener('abort', onAbort);
          if (failed) return;
          const exitCode = exitCodeOf(channel);
          const outcome = parseTrailer(stderr);
          if (exitCode === 0 && outcome) resolve(outcome);
          else {
            reject(
              new MpiboxError('provider', 'log connection dropped', {
                host: target.host,
                port: target.port,
                exitCode: exitCode ?? -1,
              }),
            );
          }
        });
      });
    } catch (error) {
      // The abort closed the connection under whichever step was running: report the abort.
      if (abortSignal?.aborted) throw new MpiboxError('timeout', 'log follow aborted', {}, { cause: error });
      throw error;
    } finally {
      client.end();
    }
  }

  async cancel(
    targets: readonly SshTarget[],
    job: { jobId: number; remoteDir: string; pid: number | null },
    graceInMs: number,
  ): Promise<void> {
    const [seed] = targets;
    if (seed) {
      await this.#shell.exec(seed, cancelGroupCommand(job.remoteDir, job.pid, graceInMs), {
        timeoutInMs: graceInMs + 20_000,
      });
    }
    await Promise.all(
      targets.map((target) =>
        this.#shell.exec(target, sweepCommand(job.jobId, job.remoteDir), { timeoutInMs: 30_000 }),
      ),
    );
  }
}

/** The last line of the follow command's stderr: `exit N` or `vanished`. */
function parseTrailer(stderr: string): JobOutcome | null {
  const last = stderr.trim().split('\n').pop() ?? '';
  const exited = /^exit (\d{1,3})$/.exec(last);
  if (exited) return { kind: 'exited', exitCode: Number(exited[1]) };
  if (last === 'vanished') return { kind: 'vanished' };
  return null;
}
