import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { isAlive, terminateAll } from '../../../src/providers/local/processes.ts';

const execFileAsync = promisify(execFile);

/**
 * Network namespaces for fake VMs (iproute2, as root). Each VNet is a namespace holding one
 * bridge; each machine is a namespace with a loopback and an `eth0` holding its private IP,
 * the other end of its veth pair enslaved to its VNet's bridge. Nothing is added to this host's
 * own network namespace (no address, route or link), so clusters with the same VNet range do
 * not collide, and this host's firewall (br_netfilter, Docker's FORWARD policy) never sees
 * the traffic: a new namespace starts with empty iptables.
 *
 * Names are `mbx-<pid>-…`, so namespaces left by a process that died can be found and removed.
 */

/** The namespace name prefix of namespaces made by process `pid`. */
export function netnsPrefix(pid = process.pid): string {
  return `mbx-${pid}-`;
}

/** Runs `ip` with the arguments; rejects with its stderr. */
export async function ip(...args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync('ip', args, { timeout: 10_000 });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`ip ${args.join(' ')}: ${stderr || (error as Error).message}`, { cause: error });
  }
}

/** Names of the network namespaces iproute2 knows (`/run/netns`). */
export function netnsNames(): string[] {
  try {
    return fs.readdirSync('/run/netns');
  } catch {
    return [];
  }
}

/** A VNet: a namespace with a bridge `br0` that its machines' veths join. */
export async function createVnet(netns: string): Promise<void> {
  await ip('netns', 'add', netns);
  await ip('-n', netns, 'link', 'add', 'br0', 'type', 'bridge');
  await ip('-n', netns, 'link', 'set', 'br0', 'up');
}

/**
 * A machine's namespace on `vnet`: `eth0` with `address/prefixLength`, loopback up. The veth's
 * VNet end is named `port` (unique within the VNet).
 */
export async function createMachineNetns(
  netns: string,
  vnet: string,
  port: string,
  address: string,
  prefixLength: number,
): Promise<void> {
  await ip('netns', 'add', netns);
  await ip('-n', netns, 'link', 'set', 'lo', 'up');
  await ip('-n', vnet, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
  await ip('-n', vnet, 'link', 'set', port, 'master', 'br0', 'up');
  await ip('-n', netns, 'addr', 'add', `${address}/${prefixLength}`, 'dev', 'eth0');
  await ip('-n', netns, 'link', 'set', 'eth0', 'up');
}

/** Pids of the processes inside the namespace (none when it is gone). */
export async function pidsIn(netns: string): Promise<number[]> {
  if (!netnsNames().includes(netns)) return [];
  const out = await ip('netns', 'pids', netns).catch(() => '');
  return out
    .split('\n')
    .filter((line) => /^\d+$/.test(line.trim()))
    .map(Number);
}

/** Stops every process in the namespace: TERM, then KILL after `graceInMs`. */
export async function stopProcessesIn(netns: string, graceInMs = 2000): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const pids = await pidsIn(netns);
    if (pids.length === 0) return;
    await terminateAll(pids, graceInMs);
  }
  const left = (await pidsIn(netns)).filter(isAlive);
  if (left.length > 0) throw new Error(`processes left in ${netns}: ${left.join(' ')}`);
}

/** Stops what runs in the namespace and deletes it (its veth goes with it). Idempotent. */
export async function deleteNetns(netns: string): Promise<void> {
  if (!netnsNames().includes(netns)) return;
  await stopProcessesIn(netns);
  await ip('netns', 'delete', netns);
}

/** Deletes the namespaces of fake machines whose process is gone (a run that crashed). */
export async function deleteOrphanedNetns(): Promise<void> {
  for (const name of netnsNames()) {
    const pid = /^mbx-(\d+)-/.exec(name)?.[1];
    if (pid !== undefined && !isAlive(Number(pid))) await deleteNetns(name);
  }
}
