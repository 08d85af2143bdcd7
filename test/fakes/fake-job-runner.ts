import { MpiboxError } from '../../src/domain/errors.ts';
import type { JobLaunch, JobOutcome, JobRunner } from '../../src/ports/job-runner.ts';
import type { SshTarget } from '../../src/ports/shell.ts';
import { NextCallGate } from './next-call-gate.ts';

interface FakeJob {
  pid: number;
  script: string;
  output: Buffer;
  outcome: JobOutcome | null;
  changed: () => void;
}

/**
 * A node that runs nothing: tests write a job's output and end it by hand. `follow` streams
 * from the requested offset like `tail -c +N --pid -f`, and can be made to drop mid-stream.
 */
export class FakeJobRunner implements JobRunner {
  readonly jobs = new Map<string, FakeJob>();
  readonly calls: string[] = [];
  #nextPid = 1000;
  #dropAfterBytes: number | null = null;
  readonly #startGate = new NextCallGate();
  #lostStartAnswers = 0;
  #failingCancels = 0;
  readonly #cancelGate = new NextCallGate();

  /** The next `count` cancels fail (node unreachable) without touching the job. */
  failNextCancels(count: number): void {
    this.#failingCancels = count;
  }

  /** Makes the next `cancel` wait until the returned function is called (a slow kill). */
  holdCancel(): () => void {
    return this.#cancelGate.hold();
  }

  /** The next `count` starts launch the job but their answer is lost (the connection drops). */
  failNextStartAfterLaunch(count = 1): void {
    this.#lostStartAnswers = count;
  }

  /** Makes the next `start` wait until the returned function is called (a slow node). */
  holdStart(): () => void {
    return this.#startGate.hold();
  }

  /** Every target a job was started on, in order. */
  readonly startTargets: SshTarget[] = [];

  async start(target: SshTarget, launch: JobLaunch): Promise<{ pid: number }> {
    this.startTargets.push(target);
    this.calls.push(`start ${launch.remoteDir}`);
    await this.#startGate.pass();
    const loseAnswer = this.#lostStartAnswers > 0;
    if (loseAnswer) this.#lostStartAnswers -= 1;
    const existing = this.jobs.get(launch.remoteDir);
    if (existing) {
      if (loseAnswer) throw new MpiboxError('provider', 'connection dropped after the launch');
      return { pid: existing.pid };
    }
    const job: FakeJob = {
      pid: this.#nextPid++,
      script: launch.script,
      output: Buffer.alloc(0),
      outcome: null,
      changed: () => undefined,
    };
    this.jobs.set(launch.remoteDir, job);
    if (loseAnswer) throw new MpiboxError('provider', 'connection dropped after the launch');
    return { pid: job.pid };
  }

  /** Appends output to the job whose folder ends with `/<jobId>`. */
  write(jobId: number, text: string): void {
    const job = this.#byId(jobId);
    job.output = Buffer.concat([job.output, Buffer.from(text)]);
    job.changed();
  }

  /** Ends a job. */
  end(jobId: number, outcome: JobOutcome): void {
    const job = this.#byId(jobId);
    job.outcome = outcome;
    job.changed();
  }

  /** The next follow call fails after sending this many bytes. */
  dropAfter(bytes: number): void {
    this.#dropAfterBytes = bytes;
  }

  async follow(
    _target: SshTarget,
    job: { remoteDir: string; pid: number; fromByte: number },
    onData: (chunk: Buffer) => void | Promise<void>,
    abortSignal?: AbortSignal,
  ): Promise<JobOutcome> {
    this.calls.push(`follow ${job.remoteDir} ${job.fromByte}`);
    const aborted = () => new MpiboxError('timeout', 'log follow aborted');
    if (abortSignal?.aborted) throw aborted();
    const fake = this.jobs.get(job.remoteDir);
    if (!fake) throw new MpiboxError('provider', 'no such job folder');
    let offset = job.fromByte;
    const dropAt = this.#dropAfterBytes === null ? null : offset + this.#dropAfterBytes;
    this.#dropAfterBytes = null;
    for (;;) {
      const end = dropAt === null ? fake.output.length : Math.min(fake.output.length, dropAt);
      if (end > offset) {
        await onData(fake.output.subarray(offset, end));
        offset = end;
      }
      if (dropAt !== null && offset >= dropAt) throw new MpiboxError('provider', 'log connection dropped');
      if (fake.outcome && offset >= fake.output.length) return fake.outcome;
      await new Promise<void>((resolve, reject) => {
        fake.changed = resolve;
        abortSignal?.addEventListener('abort', () => reject(aborted()), { once: true });
      });
    }
  }

  async cancel(_targets: readonly SshTarget[], job: { jobId: number }): Promise<void> {
    this.calls.push(`cancel ${job.jobId}`);
    await this.#cancelGate.pass();
    if (this.#failingCancels > 0) {
      this.#failingCancels -= 1;
      throw new MpiboxError('provider', 'ssh connection failed', { host: '127.0.0.1', port: 10106 });
    }
    const fake = this.#byIdOrNull(job.jobId);
    if (fake && !fake.outcome) {
      fake.outcome = { kind: 'exited', exitCode: 143 };
      fake.changed();
    }
  }

  #byId(jobId: number): FakeJob {
    const job = this.#byIdOrNull(jobId);
    if (!job) throw new Error(`job ${jobId} was not started`);
    return job;
  }

  #byIdOrNull(jobId: number): FakeJob | null {
    for (const [dir, job] of this.jobs) if (dir.endsWith(`/${jobId}`)) return job;
    return null;
  }
}
