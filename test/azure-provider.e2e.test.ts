import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateBotKey } from '../src/adapters/ssh/bot-key.ts';
import { Ssh2JobRunner } from '../src/adapters/ssh/ssh2-job-runner.ts';
import { Ssh2Shell } from '../src/adapters/ssh/ssh2-shell.ts';
import { JsonLogger } from '../src/adapters/system/json-logger.ts';
import { SystemClock } from '../src/adapters/system/system-clock.ts';
import { jobRemoteDir, jobScript, mpiexecArgv } from '../src/domain/job-script.ts';
import type { ClusterInfo } from '../src/ports/cloud-provider.ts';
import { makeAzureClients } from '../src/providers/azure/azure-clients.ts';
import { AzureProvider } from '../src/providers/azure/azure-provider.ts';
import { readCloudInitTemplate } from '../src/providers/azure/cloud-init.ts';
import { ClusterCustomData } from '../src/providers/azure/cluster-custom-data.ts';
import { HostKeyPins } from '../src/providers/azure/host-key-pins.ts';
import { FAST_POLL, fakeTokenCredential, startFakeArm, type FakeArm } from './fake-arm/index.ts';
import { lookUpUser } from './fake-arm/machines/os-users.ts';
import { SshdMachineHost } from './fake-arm/sshd-machine-host.ts';
import { SUPPORT_DIR, makeTempDir, makeUserKey, sshArgs, testBasePort } from './support/local-fixtures.ts';

const execFileAsync = promisify(execFile);

const CLUSTER = 'e2e-a1b2c3';
const GROUP = `mpibox-${CLUSTER}`;
const ADMIN = 'mpiboxadmin';
const JOB_USER = 'mpi';

/** Namespaces, useradd and a setuid sudo need root: CI and the development machine have it. */
const canRun = await SshdMachineHost.available();
// As root (CI) the tools are installed by scripts/dev.sh: missing ones are a failure, not a skip.
if (!canRun && process.getuid?.() === 0) {
  throw new Error(
    'the fake Azure machines need sshd, ip, nsenter, unshare, cc, useradd and runuser: run scripts/dev.sh install',
  );
}

/**
 * The Azure provider end to end on one host: the real SDK clients against the fake ARM, whose
 * scale-set instances are real sshd machines (each its own network, UTS and mount namespace,
 * made from the real cloud-init custom data), the real Ssh2Shell for node setup and the real
 * Ssh2JobRunner for an MPI job across four machines.
 */
describe.skipIf(!canRun)(
  'AzureProvider on fake ARM with sshd machines (real cloud-init, real Open MPI)',
  () => {
    const dataDir = makeTempDir('mpibox-e2e-azure');
    let host: SshdMachineHost;
    let fake: FakeArm;
    let provider: AzureProvider;
    let runner: Ssh2JobRunner;
    let info: ClusterInfo;
    const userKey = makeUserKey(dataDir, 'scientist_ed25519');
    const botKey = loadOrCreateBotKey(dataDir);

    /** The stock ssh client, as a scientist pastes the line the bot posted. */
    const ssh = async (port: number, command: string, input?: string): Promise<string> => {
      const child = execFileAsync(
        'ssh',
        sshArgs(userKey.privatePath, port, `${JOB_USER}@127.0.0.1`, command),
        {
          timeout: 60_000,
        },
      );
      if (input !== undefined) child.child.stdin?.end(input);
      return (await child).stdout;
    };

    beforeAll(async () => {
      host = new SshdMachineHost({ firstPort: testBasePort(40) });
      fake = await startFakeArm({ machineHost: host, quotas: { standardDSv5Family: 100, cores: 100 } });
      const customData = new ClusterCustomData({
        dir: path.join(dataDir, 'clusters'),
        template: readCloudInitTemplate(),
        adminUsername: ADMIN,
        jobUsername: JOB_USER,
        botPublicKey: botKey.publicKey,
      });
      const shell = new Ssh2Shell(botKey.privateKey, (h, p) => provider.knownHostKeys(h, p));
      runner = new Ssh2JobRunner(botKey.privateKey, (h, p) => provider.knownHostKeys(h, p), shell);
      provider = new AzureProvider({
        clients: makeAzureClients({
          credential: fakeTokenCredential(fake.token),
          subscriptionId: fake.subscriptionId,
          endpoint: fake.url,
          tlsCa: fake.certPem,
        }),
        subscriptionId: fake.subscriptionId,
        location: 'eastus',
        vmSizes: ['Standard_D4s_v5'],
        image: { publisher: 'microsoft-dsvm', offer: 'ubuntu-hpc', sku: '2204', version: 'latest' },
        sshSources: ['203.0.113.0/24'],
        adminUsername: ADMIN,
        jobUsername: JOB_USER,
        botPublicKey: botKey.publicKey,
        maxNodesPerCluster: 8,
        spotMaxPricePerHour: -1,
        customData: (input) => customData.render(input),
        onTerminated: (clusterId) => customData.forget(clusterId),
        pollOptions: FAST_POLL,
        shell,
        pins: new HostKeyPins(path.join(dataDir, 'pins')),
        clock: new SystemClock(),
        logger: new JsonLogger('error'),
      });
    });

    afterAll(async () => {
      await provider?.terminate(CLUSTER).catch(() => undefined);
      await fake?.close();
      await host?.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }, 120_000);

    it(
      'creates 4 machines from the real custom data and sets them up over SSH',
      { timeout: 120_000 },
      async () => {
        const results = await provider.create({
          clusterId: CLUSTER,
          name: 'e2e',
          nodeCount: 4,
          size: 'Standard_D4s_v5',
          spot: false,
          authorizedKeys: [userKey.publicLine],
          labels: { channelId: 'C0TEAM', ownerId: 'U0OWNER' },
        });
        info = await provider.waitReady(CLUSTER, 90_000).catch((error: unknown) => {
          // The fields say which node and what its helper printed.
          throw new Error(`${String(error)} ${JSON.stringify((error as { fields?: unknown }).fields)}`, {
            cause: error,
          });
        });

        expect(results.map((result) => result.state)).toEqual(['running', 'running', 'running', 'running']);
        expect(info.nodes).toHaveLength(4);
        expect(host.machines().filter((machine) => machine.running)).toHaveLength(4);
        for (const node of info.nodes) expect(provider.knownHostKeys(node.host, node.port)).not.toBeNull();
        // Node 0 exported ~/shared, the others "mounted" it (the stand-ins logged the calls).
        const nfsLog = (ip: string) => {
          const machine = host.machines().find((candidate) => candidate.spec.privateIp === ip);
          return fs.readFileSync(path.join(machine?.root ?? '', 'var/log/nfs-tools.log'), 'utf8');
        };
        expect(nfsLog(info.nodes[0]!.privateAddress)).toContain('exportfs -ra');
        for (const node of info.nodes.slice(1))
          expect(nfsLog(node.privateAddress)).toContain('mount /home/mpi/shared');
      },
    );

    it('lets the scientist in as mpi on every node, each with its own host name', async () => {
      const names = host.machines().map((machine) => [machine.sshPort, machine.spec.computerName] as const);

      const seen = await Promise.all(info.nodes.map((node) => ssh(node.port, 'hostname')));

      expect(seen.map((name) => name.trim())).toEqual(
        info.nodes.map((node) => names.find(([port]) => port === node.port)?.[1]),
      );
      expect(new Set(seen).size).toBe(4);
    });

    it('has the machinefile of the four private IPs on node 0, and node 0 reaches node 1 by its IP', async () => {
      const node0 = info.nodes[0]!;

      const machinefile = await ssh(node0.port, 'cat ~/machinefile');
      const viaPrivateIp = await ssh(node0.port, `ssh ${info.nodes[1]!.privateAddress} hostname`);

      expect(machinefile).toBe(info.nodes.map((node) => `${node.privateAddress} slots=2\n`).join(''));
      expect(new Set(info.nodes.map((node) => node.privateAddress)).size).toBe(4);
      const node1 = host.machines().find((machine) => machine.sshPort === info.nodes[1]!.port);
      expect(viaPrivateIp.trim()).toBe(node1?.spec.computerName);
    });

    it(
      'sees a scientist’s terminal session on a node (through sudo as the admin), not the bot’s own commands',
      { timeout: 60_000 },
      async () => {
        const quiet = await provider.activity(CLUSTER, []);
        const session = spawn(
          'ssh',
          ['-tt', ...sshArgs(userKey.privatePath, info.nodes[2]!.port, `${JOB_USER}@127.0.0.1`, 'sleep 30')],
          { stdio: ['pipe', 'ignore', 'ignore'] },
        );
        let seen = await provider.activity(CLUSTER, []);
        const mine = () => seen.sessions.some((found) => found.user === JOB_USER);
        for (const deadline = Date.now() + 20_000; !mine() && Date.now() < deadline;) {
          await new Promise((resolve) => setTimeout(resolve, 300));
          seen = await provider.activity(CLUSTER, []);
        }
        session.kill('SIGKILL');

        // (Only the job user's: the machine running the tests may have terminals of its own.)
        expect(quiet.sessions.filter((found) => found.user === JOB_USER)).toEqual([]);
        // These machines share the host's process table (no PID namespace here), so every node's
        // probe sees the one session; on Azure each VM has its own /proc.
        const scientist = seen.sessions.filter((found) => found.user === JOB_USER);
        expect(scientist.map((found) => found.node)).toContain(info.nodes[2]!.name);
      },
    );

    it(
      'runs a real MPI ring with 4 ranks on 4 machines through the bot’s job runner',
      { timeout: 120_000 },
      async () => {
        const node0 = info.nodes[0]!;
        await ssh(
          node0.port,
          'mkdir -p ~/shared && cat > ~/shared/ring.c && mpicc -O2 -o ~/shared/ring ~/shared/ring.c',
          fs.readFileSync(path.join(SUPPORT_DIR, 'mpi-ring.c'), 'utf8'),
        );
        const target = {
          host: node0.host,
          port: node0.port,
          user: info.botUser,
          runAs: info.jobsRunAs ?? undefined,
        };
        const remoteDir = jobRemoteDir(info.sharedDir, 1);
        const script = jobScript({
          jobId: 1,
          remoteDir,
          workDir: info.sharedDir,
          mpiexecArgv: mpiexecArgv({
            launcher: provider.launcher,
            machinefile: info.machinefilePath,
            ranks: 4,
            ranksPerNode: 1,
          }),
          userCommand: './ring',
        });

        const { pid } = await runner.start(target, { remoteDir, script });
        let output = '';
        const outcome = await runner.follow(target, { remoteDir, pid, fromByte: 0 }, (chunk) => {
          output += chunk.toString('utf8');
        });

        expect(outcome, output).toEqual({ kind: 'exited', exitCode: 0 });
        const ranks = output.split('\n').filter((line) => line.startsWith('rank '));
        expect(ranks, output).toHaveLength(4);
        for (const line of ranks) expect(line).toMatch(/local 1 allreduce ok ring ok$/);
        const hosts = ranks.map((line) => / host (\S+) /.exec(line)?.[1]);
        expect(new Set(hosts)).toEqual(new Set(host.machines().map((machine) => machine.spec.computerName)));
      },
    );

    it(
      'deallocates (nothing runs, the NAT ports stay) and starts again with the same host keys',
      { timeout: 120_000 },
      async () => {
        await provider.deallocate(CLUSTER);
        const stopped = host.machines();
        const refused = await ssh(info.nodes[0]!.port, 'hostname').catch((error: unknown) => error);

        await provider.start(CLUSTER);
        // A changed host key would fail here: the pins from the first boot still hold.
        const again = await provider.waitReady(CLUSTER, 90_000);

        expect(stopped.map((machine) => machine.running)).toEqual([false, false, false, false]);
        expect(refused).toBeInstanceOf(Error);
        expect(again.nodes.map((node) => node.port)).toEqual(info.nodes.map((node) => node.port));
        expect((await ssh(info.nodes[3]!.port, 'cat ~/machinefile')).split('\n')).toHaveLength(5);
      },
    );

    it('shrinks to 2 machines, then terminates leaving nothing behind', { timeout: 120_000 }, async () => {
      const shrunk = await provider.resize(CLUSTER, 2);

      expect(shrunk.map((result) => result.state)).toEqual(['running', 'running']);
      expect(
        host
          .machines()
          .map((machine) => machine.spec.privateIp)
          .sort(),
      ).toEqual(
        info.nodes
          .slice(0, 2)
          .map((node) => node.privateAddress)
          .sort(),
      );
      expect(await ssh(info.nodes[0]!.port, 'hostname')).not.toBe('');

      await provider.terminate(CLUSTER);

      expect(
        fake.resourceIds().filter((id) => id.toLowerCase().includes(`/resourcegroups/${GROUP}`)),
      ).toEqual([]);
      expect(fake.instances(GROUP, 'nodes')).toEqual([]);
      expect(host.machines()).toEqual([]);
      expect(await host.residue([ADMIN, JOB_USER])).toEqual({
        netns: [],
        processes: [],
        users: [],
        machineFiles: false,
      });
      expect(await lookUpUser(JOB_USER)).toBeNull();
      expect(await lookUpUser(ADMIN)).toBeNull();
    });
  },
);
