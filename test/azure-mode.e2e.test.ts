import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeArm, type FakeArm } from './fake-arm/index.ts';
import { BotProcess } from './support/bot-process.ts';
import { fakeAzureCli } from './support/fake-az-cli.ts';
import { makeTempDir } from './support/local-fixtures.ts';

/** The real bot in Azure mode against the fake ARM (its VMs have no SSH: readiness must fail). */
describe('the bot in Azure mode (real bot process, real SDKs and credential chain, fake ARM)', () => {
  let fake: FakeArm;
  let env: Record<string, string>;
  const dataDir = makeTempDir('mpibox-e2e-azure');
  const groupOf = (name: string) =>
    fake.resourceIds().filter((id) => id.toLowerCase().includes(`/resourcegroups/mpibox-${name}-`));

  beforeAll(async () => {
    fake = await startFakeArm();
    const bin = fakeAzureCli(dataDir, fake.token);
    env = {
      PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      MPIBOX_DATA_DIR: dataDir,
      MPIBOX_READY_TIMEOUT_SECONDS: '3',
      AZURE_SUBSCRIPTION_ID: fake.subscriptionId,
      AZURE_LOCATION: 'eastus',
      AZURE_SSH_SOURCE: '203.0.113.0/24',
      AZURE_RESOURCE_MANAGER_ENDPOINT: fake.url,
      AZURE_TOKEN_CREDENTIALS: 'AzureCliCredential',
      NODE_EXTRA_CA_CERTS: fake.certPath,
    };
  });

  afterAll(async () => {
    for (const running of bots) if (running.child.exitCode === null) running.child.kill('SIGKILL');
    await fake.close();
  });
  const bots: BotProcess[] = [];
  const startBot = () => {
    const started = new BotProcess(env);
    bots.push(started);
    return started;
  };

  it(
    'reports its Azure settings at start, creates the cluster’s resources, and rolls all back when nodes never answer',
    { timeout: 120_000 },
    async () => {
      const bot = startBot();
      bot.send('/mpi up 2 demo');
      await bot.waitFor(/Cluster demo failed/, 60_000);
      const resources = fake
        .resourceIds()
        .filter((id) => id.toLowerCase().includes('/resourcegroups/mpibox-demo-'));
      await bot.end();

      const started = bot.stderr.split('\n').find((line) => line.includes('"mpibox started"')) ?? '';
      expect(JSON.parse(started)).toMatchObject({
        provider: 'azure',
        location: 'eastus',
        vmSizes: ['Standard_HB120rs_v3'],
        sshSources: ['203.0.113.0/24'],
        resourceManagerEndpoint: fake.url,
      });
      // The bot talked to the fake with the CLI's token: the group and its resources were made.
      const made = fake.requests
        .filter((request) => request.method === 'PUT')
        .map((request) => request.path.split('/').slice(-2, -1)[0]);
      expect(made).toEqual(
        expect.arrayContaining([
          'resourcegroups',
          'virtualNetworks',
          'networkSecurityGroups',
          'publicIPAddresses',
          'loadBalancers',
          'virtualMachineScaleSets',
        ]),
      );
      expect(bot.stdout).toMatch(/Timed out: nodes did not become ready in time/);
      expect(resources).toEqual([]);
      expect(fake.requests.every((request) => request.status !== 401)).toBe(true);
    },
  );

  it(
    'after a crash mid-create, the restarted bot finishes or rolls back the cluster: never half-made',
    { timeout: 180_000 },
    async () => {
      // The first bot dies right after it asked for the scale set, as a bot killed during a
      // 10-minute HPC create would; Azure goes on with the operation without it.
      const first = startBot();
      first.send('/mpi up 2 crash');
      await until(
        () =>
          fake.requests.some(
            (request) =>
              request.method === 'PUT' &&
              /mpibox-crash-[^/]+\/providers\/Microsoft\.Compute\/virtualMachineScaleSets/i.test(
                request.path,
              ),
          ),
        () => `first stderr:\n${first.stderr}\nfirst stdout:\n${first.stdout}`,
      );
      first.child.kill('SIGKILL');
      await first.exited;
      const halfMade = groupOf('crash');

      // The restarted bot waits for Azure's operation instead of sending a second create.
      const second = startBot();
      // (Or, when Azure finished first, it goes straight on.)
      await until(
        () =>
          /waiting for a scale set operation in progress/.test(second.stderr) ||
          /Cluster crash (failed|is ready)/.test(second.stdout),
        () =>
          `second stderr:\n${second.stderr}\nsecond stdout:\n${second.stdout}\nfirst stderr:\n${first.stderr}`,
      );
      await fake.settle(); // the operation ends (on Azure: when it is done)
      await second.waitFor(/Cluster crash (failed|is ready)/, 90_000);
      const left = groupOf('crash');
      second.send('/mpi down crash --yes');
      await second.end();

      expect(halfMade.length).toBeGreaterThan(0);
      expect(second.stderr).toMatch(/recovering cluster/);
      // This fake's VMs never answer SSH, so the honest end is a full rollback.
      expect(second.stdout).toMatch(/Cluster crash failed/);
      expect(left).toEqual([]);
      // The restarted bot did not start a second, competing create of the scale set while the first ran.
      expect(fake.requests.filter((request) => request.status === 409)).toEqual([]);
    },
  );
});

/** Polls `check` until it holds (60 s at most). */
async function until(check: () => boolean, describe: () => string = () => ''): Promise<void> {
  for (const deadline = Date.now() + 60_000; !check();) {
    if (Date.now() > deadline) throw new Error(`never happened\n${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
