import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeArm, type FakeArm } from './fake-arm/index.ts';
import { lookUpUser } from './fake-arm/machines/os-users.ts';
import { SshdMachineHost } from './fake-arm/sshd-machine-host.ts';
import { BotProcess } from './support/bot-process.ts';
import { fakeAzureCli } from './support/fake-az-cli.ts';
import { SUPPORT_DIR, makeTempDir, makeUserKey, sshArgs, testBasePort } from './support/local-fixtures.ts';

const execFileAsync = promisify(execFile);

const canRun = await SshdMachineHost.available();
// As root (CI) the tools are installed by scripts/dev.sh: missing ones are a failure, not a skip.
if (!canRun && process.getuid?.() === 0) {
  throw new Error(
    'the fake Azure machines need sshd, ip, nsenter, unshare, cc, useradd and runuser: run scripts/dev.sh install',
  );
}

/** The card's state as the console last printed it: its SSH lines and machinefile. */
function lastCard(stdout: string, headline: RegExp): { ports: number[]; machinefile: string[] } {
  const cards = stdout.split(/\n(?=\[#console, message \d+)/).filter((card) => headline.test(card));
  const card = cards.at(-1) ?? '';
  const ports = [...card.matchAll(/ssh -i <your key> -p (\d+) mpi@127\.0\.0\.1 {4}# e2e-(\d+)/g)].map(
    (match) => Number(match[1]),
  );
  const machinefile = [...card.matchAll(/^ {4}(\d+\.\d+\.\d+\.\d+ slots=\d+)$/gm)].map((match) => match[1]!);
  return { ports, machinefile };
}

/**
 * Issue 9's acceptance, the way a team uses it: the real bot in Azure mode (real SDKs, real
 * credential chain) against the fake ARM whose instances are real sshd machines. `/mpi up 4`,
 * the SSH lines with the load balancer's ports working for a registered key, the machinefile
 * of private IPs, an MPI job through `/mpi run`, `/mpi resize 6`, `/mpi resize 3`, `/mpi down`,
 * and nothing of the cluster left on the fake.
 */
describe.skipIf(!canRun)('the bot on Azure (fake ARM, sshd machines): up, run, resize, down', () => {
  const dataDir = makeTempDir('mpibox-e2e-azure-bot');
  const userKey = makeUserKey(dataDir, 'scientist_ed25519');
  let host: SshdMachineHost;
  let fake: FakeArm;
  let bot: BotProcess;
  const group = () =>
    fake
      .resourceIds()
      .find((id) => /^\/subscriptions\/[^/]+\/resourcegroups\/mpibox-e2e-[0-9a-f]+$/i.test(id));
  const groupName = () => group()?.split('/').at(-1) ?? '';
  const ssh = async (port: number, command: string, input?: string): Promise<string> => {
    const child = execFileAsync('ssh', sshArgs(userKey.privatePath, port, 'mpi@127.0.0.1', command), {
      timeout: 60_000,
    });
    if (input !== undefined) child.child.stdin?.end(input);
    return (await child).stdout;
  };

  beforeAll(async () => {
    host = new SshdMachineHost({ firstPort: testBasePort(43) });
    fake = await startFakeArm({ machineHost: host, quotas: { standardDSv5Family: 100, cores: 100 } });
    const bin = fakeAzureCli(dataDir, fake.token);
    bot = new BotProcess({
      PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      MPIBOX_DATA_DIR: dataDir,
      MPIBOX_READY_TIMEOUT_SECONDS: '120',
      AZURE_SUBSCRIPTION_ID: fake.subscriptionId,
      AZURE_LOCATION: 'eastus',
      AZURE_VM_SIZE: 'Standard_D4s_v5',
      AZURE_SSH_SOURCE: '203.0.113.0/24',
      AZURE_RESOURCE_MANAGER_ENDPOINT: fake.url,
      AZURE_TOKEN_CREDENTIALS: 'AzureCliCredential',
      NODE_EXTRA_CA_CERTS: fake.certPath,
    });
    bot.send(`/mpi key add ${userKey.publicLine}`);
    await bot.waitFor(/Added ssh-ed25519 key/);
  }, 60_000);

  afterAll(async () => {
    if (bot.child.exitCode === null) bot.child.kill('SIGKILL');
    await fake?.close();
    await host?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }, 120_000);

  it(
    'refuses an up beyond the subscription’s quota with the numbers, creating nothing',
    { timeout: 60_000 },
    async () => {
      fake.setQuota('standardDSv5Family', 12);
      const putsBefore = fake.requests.filter((request) => request.method === 'PUT').length;

      bot.send('/mpi up 4 big');
      await bot.waitFor(/Cluster big failed[\s\S]*?\n\n/, 50_000);
      fake.setQuota('standardDSv5Family', 100);

      expect(bot.stdout).toContain(
        'Problem: The cloud refused: QuotaExceeded: 4 × Standard_D4s_v5 needs 16 vCPUs of Standard DSv5 Family vCPUs in eastus; 12 of 12 are free. Ask for more quota in the Azure portal, or use fewer nodes',
      );
      expect(fake.requests.filter((request) => request.method === 'PUT').length).toBe(putsBefore);
      expect(fake.resourceIds().filter((id) => /resourcegroups\/mpibox-big-/i.test(id))).toEqual([]);
    },
  );

  it(
    '/mpi up 4: four SSH lines on the load balancer’s ports, working for the registered key, and the machinefile',
    { timeout: 180_000 },
    async () => {
      bot.send('/mpi up 4 e2e');
      await bot.waitFor(/Cluster e2e is ready: 4 nodes[\s\S]*?\n\n/, 150_000);

      const card = lastCard(bot.stdout, /Cluster e2e is ready: 4 nodes/);
      const instances = fake.instances(groupName(), 'nodes');
      const names = await Promise.all(card.ports.map((port) => ssh(port, 'hostname')));

      expect(card.ports).toHaveLength(4);
      // The ports are the load balancer's NAT ports of the instances, in node order.
      expect([...card.ports].sort()).toEqual(
        host
          .machines()
          .map((machine) => machine.sshPort)
          .sort(),
      );
      expect(card.machinefile).toEqual(instances.map((instance) => `${instance.privateIp} slots=2`));
      expect(new Set(names.map((name) => name.trim())).size).toBe(4);
      expect(await ssh(card.ports[3]!, 'cat ~/machinefile')).toBe(`${card.machinefile.join('\n')}\n`);
      // Ready means MPI works: the check ran across the four machines before the card said so.
      expect(bot.stdout).toMatch(
        /MPI check passed: 8 ranks on 4 nodes \(allreduce and ring\); node 0 to the others/,
      );
    },
  );

  it(
    '/mpi run: a real MPI job across the four machines, its log in the thread',
    { timeout: 120_000 },
    async () => {
      const { ports } = lastCard(bot.stdout, /Cluster e2e is ready: 4 nodes/);
      await ssh(
        ports[0]!,
        'cat > ~/shared/ring.c && mpicc -O2 -o ~/shared/ring ~/shared/ring.c',
        fs.readFileSync(path.join(SUPPORT_DIR, 'mpi-ring.c'), 'utf8'),
      );
      const from = bot.stdout.length;

      bot.send('/mpi run -n 8 -- ./shared/ring');
      await bot.waitFor(/job #1 on e2e: succeeded/, 90_000, from);

      const ranks = bot.stdout.slice(from).match(/rank \d+ of 8 .* allreduce ok ring ok/g) ?? [];
      expect(new Set(ranks.map((line) => /rank (\d+)/.exec(line)?.[1]))).toEqual(
        new Set(['0', '1', '2', '3', '4', '5', '6', '7']),
      );
      expect(new Set(ranks.map((line) => / host (\S+) /.exec(line)?.[1])).size).toBe(4);
    },
  );

  it(
    '/mpi resize 6, then 3: ports and machinefile reposted, the lowest instance ids kept',
    { timeout: 240_000 },
    async () => {
      const before = fake.instances(groupName(), 'nodes');

      bot.send('/mpi resize e2e 6');
      await bot.waitFor(/Cluster e2e is ready: 6 nodes[\s\S]*?\n\n/, 150_000);
      const grown = lastCard(bot.stdout, /Cluster e2e is ready: 6 nodes/);
      const grownMachinefile = await ssh(grown.ports[5]!, 'cat ~/machinefile');
      const sixNames = await Promise.all(grown.ports.map((port) => ssh(port, 'hostname')));

      bot.send('/mpi resize e2e 3');
      await bot.waitFor(/Cluster e2e is ready: 3 nodes[\s\S]*?\n\n/, 150_000);
      const shrunk = lastCard(bot.stdout, /Cluster e2e is ready: 3 nodes/);
      const after = fake.instances(groupName(), 'nodes');

      expect(grown.ports).toHaveLength(6);
      expect(grown.machinefile).toHaveLength(6);
      expect(grownMachinefile).toBe(`${grown.machinefile.join('\n')}\n`);
      expect(new Set(sixNames).size).toBe(6);
      // Node 0 and the NFS server stay: the first nodes are the ones there before.
      expect(grown.machinefile.slice(0, 4)).toEqual(
        before.map((instance) => `${instance.privateIp} slots=2`),
      );
      expect(shrunk.ports).toEqual(grown.ports.slice(0, 3));
      expect(shrunk.machinefile).toEqual(grown.machinefile.slice(0, 3));
      expect(after.map((instance) => instance.instanceId)).toEqual(
        before.slice(0, 3).map((instance) => instance.instanceId),
      );
      expect(await ssh(shrunk.ports[2]!, 'cat ~/machinefile')).toBe(`${shrunk.machinefile.join('\n')}\n`);
      expect(host.machines()).toHaveLength(3);
      expect(bot.stdout).toMatch(/MPI check passed: 6 ranks on 3 nodes/);
    },
  );

  it('/mpi down: the fake holds nothing of the cluster afterwards', { timeout: 120_000 }, async () => {
    const name = groupName();
    expect(name).not.toBe('');

    bot.send('/mpi down e2e --yes');
    await bot.waitFor(/Cluster e2e is deleted/, 90_000);
    await bot.end();

    expect(
      fake.resourceIds().filter((id) => id.toLowerCase().includes(`/resourcegroups/${name.toLowerCase()}`)),
    ).toEqual([]);
    expect(host.machines()).toEqual([]);
    expect(await lookUpUser('mpi')).toBeNull();
  });
});
