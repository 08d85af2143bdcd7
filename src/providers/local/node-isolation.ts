import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * How a local node is told apart from the machine it runs on.
 *
 * Every local node is a process tree on one host, and Open MPI keys its per-host state on the
 * host name: its session directory (`ompi.<host>.<uid>`) and its shared-memory segments
 * (`vader_segment.<host>.<job>.<local rank>`, in /dev/shm, a read-only setting). Two nodes with
 * the same host name map each other's segments, and ranks crash in the shared-memory BTL as soon
 * as a node runs more than one rank. So each node runs in its own UTS namespace whose host name
 * is the node's name — what `hostname`, `MPI_Get_processor_name` and Open MPI see — and has
 * its own TMPDIR. What stays shared (same kernel, same user, same /tmp and /dev/shm, same
 * loopback) is listed in README.
 *
 * - `uts`: the bot may create UTS namespaces itself (root, or CAP_SYS_ADMIN).
 * - `user-uts`: an unprivileged user namespace (mapped to the bot's own uid) owns the UTS one.
 * - `none`: neither is allowed here; nodes share the host name, so only one rank per node is
 *   safe. The provider then refuses more than one slot per node.
 */
export type NodeIsolation = 'uts' | 'user-uts' | 'none';

/**
 * Sets the namespace's host name, then becomes the command (`$1` is the name, the rest the
 * command). Root writes it through /proc; inside a user namespace /proc/sys stays the real
 * root's, so the `hostname` tool (Debian's essential package) makes the system call instead.
 */
const SET_HOSTNAME_AND_EXEC =
  '{ printf %s "$1" > /proc/sys/kernel/hostname || hostname "$1"; } 2>/dev/null && shift && exec "$@"';

/**
 * Finds the strongest isolation this machine allows, by trying it: a namespace whose host name
 * can be set. `unshare` is util-linux's (essential on Debian and Ubuntu).
 */
export async function detectNodeIsolation(env: NodeJS.ProcessEnv): Promise<NodeIsolation> {
  for (const isolation of ['uts', 'user-uts'] as const) {
    const probe = isolatedArgv(isolation, 'mpibox-probe', ['cat', '/proc/sys/kernel/hostname']);
    try {
      const { stdout } = await execFileAsync(probe[0]!, probe.slice(1), { env, timeout: 5000 });
      if (stdout.trim() === 'mpibox-probe') return isolation;
    } catch {
      // not allowed here; try the next one
    }
  }
  return 'none';
}

/**
 * `argv` wrapped so that it runs with its own host name `hostname` (unchanged for `none`).
 * Without root, a user namespace owns the UTS one: the outer one maps us to its root, which may
 * set the name; a nested one maps us back to our own uid and gid, so what runs (sshd, and every
 * session) is the bot's user as before, not a pretend root.
 */
export function isolatedArgv(
  isolation: NodeIsolation,
  hostname: string,
  argv: readonly string[],
  ids: { uid: number; gid: number } = currentIds(),
): string[] {
  if (isolation === 'none') return [...argv];
  const command =
    isolation === 'uts'
      ? argv
      : ['unshare', '--user', `--map-user=${ids.uid}`, `--map-group=${ids.gid}`, '--', ...argv];
  const outer = isolation === 'uts' ? ['--uts'] : ['--user', '--map-root-user', '--uts'];
  return ['unshare', ...outer, '--', '/bin/sh', '-c', SET_HOSTNAME_AND_EXEC, 'sh', hostname, ...command];
}

function currentIds(): { uid: number; gid: number } {
  return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
}
