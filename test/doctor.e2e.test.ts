import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlack } from './fake-slack/index.ts';
import { startAzurite } from './support/azurite.ts';
import { SUPPORT_DIR, makeTempDir } from './support/local-fixtures.ts';

const execFileAsync = promisify(execFile);
const DOCTOR = path.resolve(SUPPORT_DIR, '..', '..', 'scripts', 'doctor.ts');

/** `npm run doctor` as a user runs it, with the environment given (and nothing else). */
async function doctor(env: Record<string, string>): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await execFileAsync(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', DOCTOR],
      {
        env: { HOME: process.env.HOME ?? '/root', ...env },
        timeout: 60_000,
      },
    );
    return { code: 0, out: stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, out: failed.stdout };
  }
}

/** A PATH holding the tools this machine has, but for the ones named (as on a machine without them). */
function pathWithout(dir: string, missing: readonly string[]): string {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  for (const tool of ['ssh', 'ssh-keygen', 'mpiexec', 'mpicc', 'perl', 'sh', 'env']) {
    if (missing.includes(tool)) continue;
    const found = (process.env.PATH ?? '')
      .split(':')
      .map((entry) => path.join(entry, tool))
      .find((candidate) => fs.existsSync(candidate));
    if (found) fs.symlinkSync(found, path.join(bin, tool));
  }
  return bin;
}

describe('npm run doctor', () => {
  const dir = makeTempDir('mpibox-doctor');
  let fake: Awaited<ReturnType<typeof startFakeSlack>>;

  beforeAll(async () => {
    fake = await startFakeSlack();
  });

  afterAll(async () => {
    await fake.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('on a machine without Open MPI says so, how to install it, and exits non-zero', async () => {
    const { code, out } = await doctor({
      PATH: pathWithout(dir, ['mpiexec', 'mpicc']),
      MPIBOX_DATA_DIR: path.join(dir, 'data'),
    });

    expect(code).toBe(1);
    expect(out).toContain(
      '✗ Open MPI: mpiexec not found on PATH\n    → install it: `sudo apt-get install openmpi-bin libopenmpi-dev`',
    );
    expect(out).toMatch(/✓ OpenSSH client: /);
    expect(out).toMatch(/\n2 check\(s\) failed\.\n$/);
  });

  it('checks Slack with auth.test: passes with the app’s token, explains a wrong one', async () => {
    const base = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      MPIBOX_DATA_DIR: path.join(dir, 'data'),
      SLACK_SIGNING_SECRET: 's',
      SLACK_API_URL: fake.apiUrl,
    };

    const good = await doctor({ ...base, SLACK_BOT_TOKEN: fake.token });
    const bad = await doctor({ ...base, SLACK_BOT_TOKEN: 'xoxb-0000000000-wrong' });

    expect(good.out).toMatch(/✓ Slack: bot \S+ in \S+/);
    expect(good.code).toBe(0);
    expect(bad.out).toContain('✗ Slack: auth.test failed: invalid_auth\n    → check SLACK_BOT_TOKEN');
    expect(bad.out).not.toContain('xoxb-0000000000-wrong');
    expect(bad.code).toBe(1);
  });

  it(
    'checks the log archive on Blob Storage: passes with the account key, explains a wrong one without quoting it',
    { timeout: 60_000 },
    async () => {
      const azurite = await startAzurite();
      try {
        const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', MPIBOX_DATA_DIR: path.join(dir, 'data') };
        const wrongKey = azurite.connectionString.replace(
          /AccountKey=[^;]+/,
          `AccountKey=${Buffer.alloc(64, 7).toString('base64')}`,
        );

        const good = await doctor({ ...base, AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString });
        const bad = await doctor({ ...base, AZURE_STORAGE_CONNECTION_STRING: wrongKey });

        expect(good.out).toContain('✓ log archive: Blob Storage answers (the connection string)');
        expect(bad.out).toMatch(
          /✗ log archive: Blob Storage refused or did not answer \(the connection string\): .*\n {4}→ check AZURE_STORAGE_CONNECTION_STRING/,
        );
        expect(bad.out).not.toContain(Buffer.alloc(64, 7).toString('base64'));
        expect(bad.code).toBe(1);
      } finally {
        await azurite.stop();
      }
    },
  );

  it('reports bad configuration with every problem, and exits non-zero', async () => {
    const { code, out } = await doctor({
      PATH: process.env.PATH ?? '',
      MPIBOX_IDLE_TIMEOUT: 'soon',
      MPIBOX_REAP_ACTION: 'explode',
    });

    expect(code).toBe(1);
    expect(out).toMatch(
      /✗ configuration: invalid configuration:\n- MPIBOX_IDLE_TIMEOUT: a duration such as 30s/,
    );
    expect(out).toMatch(/- MPIBOX_REAP_ACTION: stop \(deallocate, disks kept\) or delete/);
  });
});
