import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { commandLine } from '../../src/providers/local/processes.ts';
import { answersSsh, bootSshd } from './machines/boot.ts';
import { parseCloudConfig, type CloudConfig, type CloudUser } from './machines/cloud-config.ts';
import { machinePath } from './machines/machine-files.ts';
import {
  installTools,
  machineLayout,
  prepareMachineDir,
  writeFiles,
  writeSshdConfig,
} from './machines/machine-root.ts';
import { NatRelay } from './machines/nat-relay.ts';
import {
  createMachineNetns,
  createVnet,
  deleteNetns,
  deleteOrphanedNetns,
  netnsNames,
  netnsPrefix,
  stopProcessesIn,
} from './machines/netns.ts';
import { ensureUser, lookUpUser, removeUser, writeAuthorizedKeys } from './machines/os-users.ts';
import { machineKey, type MachineHost, type MachineSpec, type MachineStopReason } from './machine-host.ts';

const execFileAsync = promisify(execFile);

/** Hosts made by this process, numbering their namespaces. */
let hostCount = 0;

export interface SshdMachineHostOptions {
  /** NAT frontend ports come from [firstPort, firstPort + portCount), in random order. */
  firstPort: number;
  portCount?: number;
  /** Prefix length of the machines' subnet (their eth0 address); Azure's mpibox subnet is a /20. */
  subnetPrefixLength?: number;
  /** Folder for the machines' files; a fresh one under /var/tmp by default (not /tmp: see boot). */
  dir?: string;
}

/** One machine as this host runs it. */
export interface SshdMachine {
  spec: MachineSpec;
  /** The NAT frontend port on 127.0.0.1; kept across deallocate/start. */
  sshPort: number;
  running: boolean;
  /** Its network namespace (`ip netns exec <netns> …` runs a command on the machine). */
  netns: string;
  /** Its MPIBOX_ROOT: where cloud-init's write_files went. */
  root: string;
}

interface Machine extends SshdMachine {
  dir: string;
  vnetKey: string;
  relay: NatRelay;
}

/**
 * A `MachineHost` whose machines are as real as one host allows, so the bot's own code runs
 * against them end to end (as root: namespaces, users and a setuid sudo need it):
 *
 * - **Network**: one namespace per VNet (a bridge) and per machine, with `eth0` holding the
 *   machine's private IP, so node 0 reaching `<node 1's IP>:22` reaches node 1's sshd, and Open
 *   MPI sees one machine per address (netns.ts). The NAT port is a listener on 127.0.0.1 here
 *   that relays into the machine (nat-relay.ts), like the load balancer's inbound NAT rule.
 * - **Machine**: an OpenSSH sshd on port 22 of its namespace, with its own host key, in its own
 *   UTS namespace (host name = computer name) and mount namespace (its own /tmp and /dev/shm).
 * - **cloud-init**: the custom data applied before sshd starts: users made with useradd (and
 *   removed when the last machine goes), the admin user's keys from the scale set's
 *   `sshPublicKeys` and cloud-init, `write_files` under the machine's root (MPIBOX_ROOT, which
 *   the helpers honour), `runcmd` entries that touch only homes. `cloud-init status --wait`
 *   exits 0; `sudo` is a setuid stand-in for the users cloud-init grants it.
 * - **Shared**: /home is this host's, so every machine sees the same homes (as ~/shared over
 *   NFS on Azure); the NFS helpers run, with their system tools stood in (machine-files.ts).
 */
export class SshdMachineHost implements MachineHost {
  readonly dir: string;
  readonly #options: Required<Omit<SshdMachineHostOptions, 'dir'>>;
  readonly #machines = new Map<string, Machine>();
  readonly #vnets = new Map<string, Promise<string>>();
  readonly #ownedUsers = new Set<string>();
  /** Namespaces of this host: `mbx-<pid>-<host number>-…`, apart from other hosts in this process. */
  readonly #netnsPrefix = `${netnsPrefix()}${hostCount++}-`;
  #nextMachine = 0;
  #nextVnet = 0;
  /** Users and shared homes are changed one machine at a time. */
  #lock: Promise<unknown> = Promise.resolve();

  constructor(options: SshdMachineHostOptions) {
    this.#options = { portCount: 40, subnetPrefixLength: 20, ...options };
    this.dir = options.dir ?? fs.mkdtempSync(path.join('/var/tmp', 'mpibox-machines-'));
    fs.chmodSync(this.dir, 0o755);
  }

  /** Whether this host can run machines: root with sshd, iproute2, nsenter and a C compiler. */
  static async available(): Promise<boolean> {
    if (process.getuid?.() !== 0 || os.platform() !== 'linux') return false;
    const tools = ['/usr/sbin/sshd', 'ip', 'nsenter', 'unshare', 'cc', 'useradd', 'runuser'];
    for (const tool of tools) {
      try {
        await execFileAsync('sh', ['-c', `command -v ${tool}`]);
      } catch {
        return false;
      }
    }
    return true;
  }

  machines(): SshdMachine[] {
    return [...this.#machines.values()].map(({ spec, sshPort, running, netns, root }) => ({
      spec,
      sshPort,
      running,
      netns,
      root,
    }));
  }

  async start(spec: MachineSpec): Promise<{ sshPort: number }> {
    const machine = await this.#machineFor(spec);
    machine.spec = spec;
    const layout = machineLayout(machine.dir, spec.computerName);
    await prepareMachineDir(layout);
    const config = spec.customData === null ? emptyConfig() : parseCloudConfig(spec.customData);
    const users = await this.#serially(() => this.#applyCloudConfig(layout, spec, config));
    const sshdConfig = writeSshdConfig(layout, users);
    const sshdPid = await bootSshd(machine.netns, layout, sshdConfig);
    machine.relay.backend = { sshdPid, sshdConfig };
    if (!(await answersSsh(machine.sshPort))) {
      throw new Error(
        `${spec.computerName}: sshd listens but the NAT port ${machine.sshPort} does not answer`,
      );
    }
    machine.running = true;
    return { sshPort: machine.sshPort };
  }

  async stop(spec: MachineSpec, reason: MachineStopReason): Promise<void> {
    const key = machineKey(spec);
    const machine = this.#machines.get(key);
    if (!machine) return;
    machine.relay.backend = null;
    await stopProcessesIn(machine.netns);
    machine.running = false;
    if (reason !== 'delete') return;
    await machine.relay.close();
    await deleteNetns(machine.netns);
    fs.rmSync(machine.dir, { recursive: true, force: true });
    this.#machines.delete(key);
    if (![...this.#machines.values()].some((other) => other.vnetKey === machine.vnetKey)) {
      const vnet = this.#vnets.get(machine.vnetKey);
      this.#vnets.delete(machine.vnetKey);
      if (vnet) await deleteNetns(await vnet.catch(() => ''));
    }
    if (this.#machines.size === 0) await this.#removeOwnedUsers();
  }

  /** Deletes every machine, VNet and user of this host; for afterAll, whatever state it is in. */
  async close(): Promise<void> {
    for (const machine of [...this.#machines.values()]) await this.stop(machine.spec, 'delete');
    for (const name of netnsNames().filter((candidate) => candidate.startsWith(this.#netnsPrefix))) {
      await deleteNetns(name);
    }
    this.#vnets.clear();
    await this.#removeOwnedUsers();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** What this host left on the machine: for tests asserting that nothing was. */
  async residue(userNames: readonly string[]): Promise<{
    netns: string[];
    processes: string[];
    users: string[];
    machineFiles: boolean;
  }> {
    const processes: string[] = [];
    for (const name of fs.readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
      const line = commandLine(Number(name));
      if (line?.includes(this.dir)) processes.push(`${name} ${line}`);
    }
    const users: string[] = [];
    for (const name of userNames)
      if (this.#ownedUsers.has(name) && (await lookUpUser(name))) users.push(name);
    return {
      netns: netnsNames().filter((name) => name.startsWith(this.#netnsPrefix)),
      processes,
      users,
      machineFiles: fs.existsSync(this.dir) && fs.readdirSync(this.dir).length > 0,
    };
  }

  async #machineFor(spec: MachineSpec): Promise<Machine> {
    const key = machineKey(spec);
    const known = this.#machines.get(key);
    if (known) return known;
    if (this.#machines.size === 0) await deleteOrphanedNetns();
    const id = this.#nextMachine++;
    const vnetKey = `${spec.subscriptionId}/${spec.resourceGroup.toLowerCase()}`;
    const vnet = await this.#vnetFor(vnetKey);
    const netns = `${this.#netnsPrefix}m${id}`;
    await createMachineNetns(netns, vnet, `m${id}`, spec.privateIp, this.#options.subnetPrefixLength);
    const relay = await NatRelay.listen(this.#portsToTry());
    const dir = path.join(this.dir, `m${id}`);
    const machine: Machine = {
      spec,
      sshPort: relay.port,
      running: false,
      netns,
      root: machineLayout(dir, spec.computerName).root,
      dir,
      vnetKey,
      relay,
    };
    this.#machines.set(key, machine);
    return machine;
  }

  #vnetFor(vnetKey: string): Promise<string> {
    let vnet = this.#vnets.get(vnetKey);
    if (!vnet) {
      const name = `${this.#netnsPrefix}v${this.#nextVnet++}`;
      vnet = createVnet(name).then(() => name);
      this.#vnets.set(vnetKey, vnet);
    }
    return vnet;
  }

  /** Free-looking ports in random order, so nobody can compute them from instance ids. */
  #portsToTry(): number[] {
    const taken = new Set([...this.#machines.values()].map((machine) => machine.sshPort));
    const ports = Array.from({ length: this.#options.portCount }, (_, i) => this.#options.firstPort + i);
    return ports.filter((port) => !taken.has(port)).sort(() => Math.random() - 0.5);
  }

  /** cloud-init's stages in its order: write_files, users and keys, deferred files, runcmd. */
  async #applyCloudConfig(
    layout: ReturnType<typeof machineLayout>,
    spec: MachineSpec,
    config: CloudConfig,
  ): Promise<string[]> {
    await writeFiles(layout, config.writeFiles, 'early');
    // Azure makes the admin user from osProfile, with sudo and the scale set's keys.
    const fromConfig = config.users.find((user) => user.name === spec.adminUsername);
    const admin: CloudUser = {
      name: spec.adminUsername,
      shell: '/bin/bash',
      gecos: '',
      ...fromConfig,
      authorizedKeys: [...spec.sshPublicKeys, ...(fromConfig?.authorizedKeys ?? [])],
      sudo: true,
    };
    const users = [admin, ...config.users.filter((user) => user.name !== spec.adminUsername)];
    const sudoUids: number[] = [];
    for (const user of users) {
      const made = await ensureUser(user);
      if (!made.created) {
        throw new Error(
          `user ${user.name} exists on this host and is not a fake machine's: refusing to take it over`,
        );
      }
      this.#ownedUsers.add(user.name);
      writeAuthorizedKeys(made, user.authorizedKeys);
      if (user.sudo) sudoUids.push(made.uid);
    }
    await writeFiles(layout, config.writeFiles, 'deferred');
    for (const argv of config.runcmd) await runCommand(layout, argv);
    await installTools(layout, sudoUids);
    return users.map((user) => user.name);
  }

  async #removeOwnedUsers(): Promise<void> {
    await this.#serially(async () => {
      for (const name of this.#ownedUsers) await removeUser(name);
      this.#ownedUsers.clear();
    });
  }

  #serially<T>(step: () => Promise<T>): Promise<T> {
    const next = this.#lock.then(step, step);
    this.#lock = next.catch(() => undefined);
    return next;
  }
}

/**
 * A `runcmd` entry, run as root as cloud-init would. Only entries whose absolute paths are all
 * under /home run (the machine's other folders are this host's own); others fail the boot.
 */
async function runCommand(layout: ReturnType<typeof machineLayout>, argv: readonly string[]): Promise<void> {
  const paths = argv.slice(1).filter((arg) => arg.startsWith('/'));
  if (argv[0] === '/bin/sh' || paths.some((arg) => !arg.startsWith('/home/'))) {
    throw new Error(`runcmd ${JSON.stringify(argv)} would change this host, not the fake machine`);
  }
  await execFileAsync(argv[0]!, argv.slice(1), {
    env: { PATH: `${layout.sbin}:${machinePath(layout)}`, MPIBOX_ROOT: layout.root, HOME: '/root' },
    cwd: '/',
  });
}

function emptyConfig(): CloudConfig {
  return { users: [], writeFiles: [], runcmd: [] };
}
