import { shellQuote } from './job.ts';

/**
 * The remote side of a job, as shell text. Everything mpibox itself puts on these command
 * lines (paths, ids, rank counts) is quoted with `shellQuote`; only the user's own command,
 * the text after `--`, reaches the shell as written.
 */

/** Files of a job inside its remote folder. */
export function jobFiles(remoteDir: string) {
  return {
    script: `${remoteDir}/job.sh`,
    /** Left by a cancel: a launch arriving after it starts nothing and stops waiting. */
    cancelled: `${remoteDir}/cancelled`,
    log: `${remoteDir}/log`,
    pid: `${remoteDir}/pid`,
    exit: `${remoteDir}/exit`,
  };
}

/** Where a job's folder lives on the cluster's shared folder. */
export function jobRemoteDir(sharedDir: string, jobId: number): string {
  return `${sharedDir}/.mpibox/jobs/${jobId}`;
}

export interface JobScriptInput {
  jobId: number;
  remoteDir: string;
  /** Folder the job starts in. */
  workDir: string;
  /** mpiexec and its arguments, one word each (quoted here). */
  mpiexecArgv: readonly string[];
  /** The user's command, verbatim. */
  userCommand: string;
}

/**
 * The job's script. It records its own pid (it runs as a session leader, so this is also its
 * process group), exports MPIBOX_JOB_ID (passed to every rank with `-x`, so `cancel` can find
 * stray ranks on any node), runs mpiexec with the user's command appended, and writes the exit
 * status atomically beside the log. Its last line is SCRIPT_END: the launch checks it arrived
 * whole. A cancel that came before the pid was written (see cancelGroupCommand) ends it there.
 */
export function jobScript(input: JobScriptInput): string {
  const files = jobFiles(input.remoteDir);
  const mpiexec = input.mpiexecArgv.map(shellQuote).join(' ');
  const exitWith = (status: number) =>
    `echo ${status} > ${shellQuote(files.exit)}.tmp && mv ${shellQuote(files.exit)}.tmp ${shellQuote(files.exit)}; exit ${status}`;
  return [
    '#!/bin/sh',
    `# mpibox job ${input.jobId}`,
    `echo $$ > ${shellQuote(files.pid)}.tmp && mv ${shellQuote(files.pid)}.tmp ${shellQuote(files.pid)}`,
    // Pid first, then this check; a cancel writes its mark first, then reads the pid: one of
    // the two always sees the other.
    `if [ -e ${shellQuote(files.cancelled)} ]; then ${exitWith(143)}; fi`,
    `MPIBOX_JOB_ID=${shellQuote(String(input.jobId))}; export MPIBOX_JOB_ID`,
    // With the id, the job's folder: job ids repeat across clusters (and bots) on one machine.
    `MPIBOX_JOB_DIR=${shellQuote(input.remoteDir)}; export MPIBOX_JOB_DIR`,
    `cd ${shellQuote(input.workDir)} || { echo 'mpibox: cannot enter the work folder' >> ${shellQuote(files.log)}; echo 127 > ${shellQuote(files.exit)}; exit 127; }`,
    // A subshell, so an `exit` in the user's text ends only it and the status is still written.
    '(',
    `${mpiexec} ${input.userCommand}`,
    // The user's text may end in a comment; the newline above ends it.
    `) >> ${shellQuote(files.log)} 2>&1 < /dev/null`,
    'status=$?',
    `echo "$status" > ${shellQuote(files.exit)}.tmp && mv ${shellQuote(files.exit)}.tmp ${shellQuote(files.exit)}`,
    SCRIPT_END,
    '',
  ].join('\n');
}

/** The job script's last line: a script cut short on its way to the node lacks it. */
const SCRIPT_END = '# end of mpibox job script';

/** mpiexec's words for a job: the configured launcher, the machinefile, ranks, ranks per node. */
export function mpiexecArgv(input: {
  launcher: readonly string[];
  machinefile: string;
  ranks: number;
  ranksPerNode: number | null;
}): string[] {
  const argv = [...input.launcher, '--machinefile', input.machinefile, '-n', String(input.ranks)];
  if (input.ranksPerNode !== null) argv.push('--map-by', `ppr:${input.ranksPerNode}:node`);
  argv.push('-x', 'MPIBOX_JOB_ID', '-x', 'MPIBOX_JOB_DIR');
  return argv;
}

/**
 * Starts the script detached, unless the folder exists already (a retry after a crash: the
 * job started then, and must not start twice), and prints the job's pid. `mkdir` is the lock.
 * A script that arrived incomplete (the connection dropped) is not run: the folder is removed
 * again, so a retry starts afresh.
 */
export function launchCommand(remoteDir: string): string {
  const files = jobFiles(remoteDir);
  const dir = shellQuote(remoteDir);
  const partial = shellQuote(`${files.script}.part`);
  return [
    `mkdir -p "$(dirname ${dir})"`,
    `if mkdir ${dir} 2>/dev/null; then`,
    `  if cat > ${partial} && [ "$(tail -n 1 ${partial})" = ${shellQuote(SCRIPT_END)} ]; then`,
    `    mv ${partial} ${shellQuote(files.script)} && : >> ${shellQuote(files.log)}`,
    `    setsid sh ${shellQuote(files.script)} < /dev/null > /dev/null 2>&1 &`,
    '  else',
    `    rm -rf ${dir}; echo 'mpibox: the job script arrived incomplete' >&2; exit 3`,
    '  fi',
    'else',
    '  cat > /dev/null',
    'fi',
    'i=0',
    `while [ ! -s ${shellQuote(files.pid)} ] && [ ! -e ${shellQuote(files.cancelled)} ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done`,
    `cat ${shellQuote(files.pid)}`,
  ].join('\n');
}

/**
 * Streams the log from byte `fromByte` (0-based) and returns when the job's process is gone
 * and the log is read to its end; then prints a trailer on stderr: the exit status, or
 * `vanished`.
 */
export function followCommand(remoteDir: string, pid: number, fromByte: number): string {
  const files = jobFiles(remoteDir);
  const log = shellQuote(files.log);
  return [
    // A job that already wrote its exit status is read to the end without following: its pid
    // may belong to another process by now (a restart long after the job ended).
    `if [ -s ${shellQuote(files.exit)} ]; then tail -c +${fromByte + 1} ${log} || exit 3;`,
    `else tail -c +${fromByte + 1} --pid=${pid} -s 0.2 -f ${log} || exit 3; fi`,
    `if [ -s ${shellQuote(files.exit)} ]; then printf 'exit %s\\n' "$(cat ${shellQuote(files.exit)})" >&2; else echo vanished >&2; fi`,
  ].join('\n');
}

/**
 * Stops a job's process group on node 0: TERM, a grace period, then KILL. With `pid` null (the
 * answer to the start was lost) the pid comes from the job folder, if the job ever started.
 * The folder and a `cancelled` mark are made first either way: a launch still on its way then
 * starts nothing, and a script that started but had not yet written its pid stops by itself.
 * A job that wrote its exit status, or a pid that now belongs to another process (node pids
 * are reused, and a cancel may be repeated after a restart), is not signalled; the sweep of
 * MPIBOX_JOB_ID that follows still catches strays.
 */
export function cancelGroupCommand(remoteDir: string, pid: number | null, graceInMs: number): string {
  const rounds = Math.max(1, Math.ceil(graceInMs / 100));
  const files = jobFiles(remoteDir);
  return [
    `mkdir -p ${shellQuote(remoteDir)} && : > ${shellQuote(files.cancelled)}`,
    `[ -s ${shellQuote(files.exit)} ] && exit 0`,
    pid === null ? `pid=$(cat ${shellQuote(files.pid)} 2>/dev/null)` : `pid=${pid}`,
    'case "$pid" in ""|*[!0-9]*|0|1) exit 0;; esac',
    `tr '\\0' '\\n' < /proc/"$pid"/cmdline 2>/dev/null | grep -qxF -- ${shellQuote(files.script)} || exit 0`,
    // `kill -s SIG -- -PGID`: the spelling both dash and bash read as "the whole group".
    'kill -s TERM -- -"$pid" 2>/dev/null',
    'i=0',
    `while kill -s 0 -- -"$pid" 2>/dev/null && [ $i -lt ${rounds} ]; do sleep 0.1; i=$((i+1)); done`,
    'kill -s KILL -- -"$pid" 2>/dev/null',
    'true',
  ].join('\n');
}

/**
 * Kills every process on a node that carries the job's id and folder in its environment, again
 * and again until a round finds none alive (a rank being forked during one round is caught by
 * the next). Zombies are already dead and only wait for their parent. The folder tells apart
 * jobs of the same id of other clusters on one machine (local nodes share it); a process from
 * before jobs carried their folder is matched on the id alone.
 */
export function sweepCommand(jobId: number, remoteDir: string): string {
  const marker = shellQuote(`MPIBOX_JOB_ID=${jobId}`);
  const folder = shellQuote(`MPIBOX_JOB_DIR=${remoteDir}`);
  return [
    'round=0',
    'while [ $round -lt 50 ]; do',
    '  found=0',
    '  for p in /proc/[0-9]*; do',
    '    pid=${p#/proc/}',
    '    [ "$pid" = "$$" ] && continue',
    `    env=$(tr '\\0' '\\n' < "$p/environ" 2>/dev/null) || continue`,
    `    printf '%s\\n' "$env" | grep -qx ${marker} || continue`,
    `    if printf '%s\\n' "$env" | grep -q '^MPIBOX_JOB_DIR='; then printf '%s\\n' "$env" | grep -qxF ${folder} || continue; fi`,
    `    [ "$(sed 's/.*) //' "$p/stat" 2>/dev/null | cut -c1)" = Z ] && continue`,
    '    kill -KILL "$pid" 2>/dev/null && found=1',
    '  done',
    '  [ $found = 0 ] && break',
    '  sleep 0.1',
    '  round=$((round+1))',
    'done',
    'true',
  ].join('\n');
}
