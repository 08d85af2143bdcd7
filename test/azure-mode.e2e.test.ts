import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeArm, type FakeArm } from './fake-arm/index.ts';
import { BotProcess } from './support/bot-process.ts';
import { makeTempDir } from './support/local-fixtures.ts';

/**
 * A stand-in for the Azure CLI: what `az account get-access-token` prints, with the fake's
 * token. DefaultAzureCredential narrowed to AzureCliCredential (AZURE_TOKEN_CREDENTIALS) runs
 * it, so the real credential chain is exercised and nothing probes the metadata address.
 */
function fakeAzureCli(dir: string, token: string): string {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  const expires = Math.floor(Date.now() / 1000) + 3600;
  const answer = JSON.stringify({
    accessToken: token,
    expires_on: expires,
    expiresOn: new Date(expires * 1000).toISOString(),
    tokenType: 'Bearer',
  });
  fs.writeFileSync(
    path.join(bin, 'az'),
    `#!/bin/sh\n[ "$1 $2" = "account get-access-token" ] || exit 2\necho '${answer}'\n`,
    { mode: 0o755 },
  );
  return bin;
}

/** The real bot in Azure mode against the fake ARM (its VMs have no SSH: readiness must fail). */
describe('the bot in Azure mode (real bot process, real SDKs and credential chain, fake ARM)', () => {
  let fake: FakeArm;
  let bot: BotProcess;
  const dataDir = makeTempDir('mpibox-e2e-azure');

  beforeAll(async () => {
    fake = await startFakeArm();
    const bin = fakeAzureCli(dataDir, fake.token);
    bot = new BotProcess({
      PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      MPIBOX_DATA_DIR: dataDir,
      MPIBOX_READY_TIMEOUT_SECONDS: '3',
      AZURE_SUBSCRIPTION_ID: fake.subscriptionId,
      AZURE_LOCATION: 'eastus',
      AZURE_SSH_SOURCE: '203.0.113.0/24',
      AZURE_RESOURCE_MANAGER_ENDPOINT: fake.url,
      AZURE_TOKEN_CREDENTIALS: 'AzureCliCredential',
      NODE_EXTRA_CA_CERTS: fake.certPath,
    });
  });

  afterAll(async () => {
    if (bot.child.exitCode === null) bot.child.kill('SIGKILL');
    await fake.close();
  });

  it('reports its Azure settings at start, creates the cluster’s resources, and rolls all back when nodes never answer', async () => {
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
  });
});
