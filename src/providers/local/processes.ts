import fs from 'node:fs';

/**
 * Finding and stopping the processes of a local node through /proc. A node's processes are
 * the descendants of its sshd listener plus anything carrying its `MPIBOX_CLUSTER_ID` (and,
 * for one node, `MPIBOX_NODE`) in its environment — that catches jobs that detached with
 * setsid and were re-parented to init.
 */

interface ProcessEntry {
  pid: number;
  ppid: number;
}

/** True when `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return parseStat(stat)?.state !== 'Z';
  } catch {
    return false;
  }
}

/** The command line of a process, arguments joined by spaces; null when it is gone. */
export function commandLine(pid: number): string | null {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return null;
  }
}

/** Pids of processes whose environment has every `KEY=value` pair given. */
export function findByEnvironment(match: Record<string, string>): number[] {
  const wanted = Object.entries(match).map(([key, value]) => `${key}=${value}`);
  const found: number[] = [];
  for (const entry of listProcesses()) {
    let environ: string[];
    try {
      environ = fs.readFileSync(`/proc/${entry.pid}/environ`, 'utf8').split('\0');
    } catch {
      continue; // gone, or not ours to read
    }
    if (wanted.every((pair) => environ.includes(pair))) found.push(entry.pid);
  }
  return found;
}

/** `pid` and all its descendants, parents first. */
export function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of listProcesses()) {
    const list = children.get(entry.ppid) ?? [];
    list.push(entry.pid);
    children.set(entry.ppid, list);
  }
  const result: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift() as number;
    if (result.includes(next)) continue;
    result.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return result;
}

/**
 * Sends SIGTERM to every pid, waits up to `graceInMs` for them to exit, then SIGKILLs the
 * rest. Pids that are already gone are fine.
 */
export async function terminateAll(pids: readonly number[], graceInMs: number): Promise<void> {
  const targets = [...new Set(pids)].filter((pid) => pid !== process.pid);
  for (const pid of targets) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceInMs;
  while (Date.now() < deadline && targets.some(isAlive)) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (const pid of targets.filter(isAlive)) signal(pid, 'SIGKILL');
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone (ESRCH): nothing to stop.
  }
}

function listProcesses(): ProcessEntry[] {
  const entries: ProcessEntry[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const parsed = parseStat(fs.readFileSync(`/proc/${name}/stat`, 'utf8'));
      if (parsed) entries.push({ pid: Number(name), ppid: parsed.ppid });
    } catch {
      // Exited while we were reading.
    }
  }
  return entries;
}

/** /proc/PID/stat is `pid (comm) state ppid …`; comm may contain spaces and parentheses. */
function parseStat(stat: string): { state: string; ppid: number } | null {
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  const [state, ppid] = stat.slice(close + 2).split(' ');
  if (state === undefined || ppid === undefined) return null;
  return { state, ppid: Number(ppid) };
}
