import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { SUPPORT_DIR } from './local-fixtures.ts';

const ROOT = path.resolve(SUPPORT_DIR, '..', '..');

/** The real bot (`src/main.ts`) in console mode, driven through its stdin like a user would. */
export class BotProcess {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(env: Record<string, string>, args: string[] = []) {
    this.child = spawn(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', path.join(ROOT, 'src', 'main.ts'), ...args],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: process.env.HOME ?? '/root',
          // Tests reach 127.0.0.1 only: prices come from the shipped snapshot.
          MPIBOX_PRICES_URL: 'off',
          USER: 'tester',
          ...env,
        },
      },
    );
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** Types a line. */
  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  /** Ends input: the bot finishes its work and exits. */
  end(): Promise<number | null> {
    this.child.stdin.end();
    return this.exited;
  }

  /** Waits until stdout (from `from` on) matches; returns the match. */
  async waitFor(pattern: RegExp, timeoutInMs = 30_000, from = 0): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutInMs;
    for (;;) {
      const match = this.stdout.slice(from).match(pattern);
      if (match) return match;
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(
          `timed out waiting for ${pattern}\n--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
