import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** One line of `npm run doctor`: what was checked, whether it holds, and what to do when not. */
export interface CheckResult {
  name: string;
  ok: boolean;
  /** What was found (a version, an account) or what is wrong. */
  detail: string;
  /** How to fix it; null when it holds. */
  fix: string | null;
}

/** A check: resolves with its result; a throw is reported as a failure with the error's message. */
export type Check = () => Promise<CheckResult>;

/** The first line a tool prints for `args`, or null when it is not installed or fails. */
export async function toolVersion(
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<string | null> {
  try {
    const { stdout, stderr } = await execFileAsync(file, [...args], { env, timeout: 10_000 });
    return (
      `${stdout}${stderr}`
        .split('\n')
        .find((line) => line.trim() !== '')
        ?.trim() ?? ''
    );
  } catch {
    return null;
  }
}

/** A program on `PATH` (as the bot will find it), or at an absolute path. */
export function findProgram(name: string, pathVariable: string | undefined): string | null {
  if (path.isAbsolute(name)) return fs.existsSync(name) ? name : null;
  for (const dir of (pathVariable ?? '').split(':').filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

const APT = (packages: string) =>
  `install it: \`sudo apt-get install ${packages}\` (Debian/Ubuntu), or \`scripts/dev.sh install\` from the repository`;

/** The local provider's tools: OpenSSH server and client, Open MPI, Perl (the activity probe). */
export function localToolChecks(env: NodeJS.ProcessEnv): Check[] {
  const program = (
    name: string,
    label: string,
    versionArgs: string[],
    packages: string,
    expect?: RegExp,
  ): Check => {
    return async () => {
      const found = findProgram(name, env.PATH);
      if (!found) return { name: label, ok: false, detail: `${name} not found on PATH`, fix: APT(packages) };
      const version = (await toolVersion(found, versionArgs, env)) ?? '';
      if (expect && !expect.test(version))
        return {
          name: label,
          ok: false,
          detail: `${found} is not ${label} (${version || 'no version'})`,
          fix: APT(packages),
        };
      return { name: label, ok: true, detail: `${found}${version ? ` (${version})` : ''}`, fix: null };
    };
  };
  return [
    program('/usr/sbin/sshd', 'OpenSSH server', ['-V'], 'openssh-server'),
    program('ssh', 'OpenSSH client', ['-V'], 'openssh-client'),
    program('ssh-keygen', 'ssh-keygen', ['-V'], 'openssh-client'),
    program('mpiexec', 'Open MPI', ['--version'], 'openmpi-bin libopenmpi-dev', /Open MPI|OpenRTE/i),
    program('mpicc', 'Open MPI compiler (mpicc, for the MPI check)', ['--showme:version'], 'libopenmpi-dev'),
    program(
      'perl',
      'Perl (the idle reaper reads node activity with it)',
      ['-e', 'print "perl $]\\n"'],
      'perl-base',
    ),
  ];
}

/** The data folder: it exists or can be made, and the bot can write there. */
export function dataDirCheck(dataDir: string): Check {
  return async () => {
    try {
      fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      const probe = path.join(dataDir, `.doctor-${process.pid}`);
      fs.writeFileSync(probe, 'ok');
      fs.rmSync(probe);
      return { name: 'data folder', ok: true, detail: `${dataDir} is writable`, fix: null };
    } catch (error) {
      return {
        name: 'data folder',
        ok: false,
        detail: `${dataDir}: ${(error as Error).message}`,
        fix: 'set MPIBOX_DATA_DIR to a folder the bot may write (mount a volume in a container)',
      };
    }
  };
}

/** Runs the checks one after another (they print in order); a throw becomes a failed line. */
export async function runChecks(checks: readonly { name: string; run: Check }[]): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    try {
      results.push(await check.run());
    } catch (error) {
      results.push({ name: check.name, ok: false, detail: (error as Error).message, fix: null });
    }
  }
  return results;
}

/** `✓ name: detail` or `✗ name: detail` with `→ fix` under it. */
export function formatResults(results: readonly CheckResult[]): string {
  return results
    .map((result) =>
      result.ok
        ? `✓ ${result.name}: ${result.detail}`
        : `✗ ${result.name}: ${result.detail}${result.fix ? `\n    → ${result.fix}` : ''}`,
    )
    .join('\n');
}
