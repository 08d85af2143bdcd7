/**
 * What the idle reaper asks a node: the users' interactive sessions on it and the CPU time of
 * jobs' processes. One Perl script (perl-base is on every Debian and Ubuntu image, and it
 * reads /proc without a fork per process), run by the provider on each node, and the reading
 * of its output. Pure.
 *
 * A session is a process on a pseudo-terminal (/dev/pts: major numbers 136–143). The bot never
 * asks for a terminal, so its own connections never count; serial consoles and gettys are not
 * on pts. A job's processes carry MPIBOX_JOB_ID in their environment (the job script exports
 * it and mpiexec passes it to every rank), so reading environments of other users needs root
 * on a cloud node; locally every node runs as the bot's user.
 */

/** Arguments: a `KEY=value` the process environment must hold (empty: any), then job ids. */
export const ACTIVITY_PROBE_SCRIPT = String.raw`
use strict;
my ($marker, @jobs) = @ARGV;
my %want = map { $_ => 1 } @jobs;
opendir(my $dir, '/proc') or die "no /proc\n";
for my $pid (grep { /^\d+$/ } readdir $dir) {
  next if $pid == $$;
  open(my $e, '<', "/proc/$pid/environ") or next;
  my $raw = do { local $/; <$e> } // ''; close $e;
  next if $marker ne '' && index("\0$raw\0", "\0$marker\0") < 0;
  my %env = map { split(/=/, $_, 2) } grep { /=/ } split(/\0/, $raw);
  open(my $s, '<', "/proc/$pid/stat") or next;
  my $stat = <$s> // ''; close $s;
  $stat =~ s/^.*\) //s;
  my @f = split(' ', $stat);
  my $tty = $f[4] // 0;
  my $major = ($tty >> 8) & 0xfff;
  if ($major >= 136 && $major <= 143) {
    my $uid = (stat("/proc/$pid"))[4] // -1;
    my $user = getpwuid($uid) // $uid;
    print "SESSION $user $tty ", ($env{MPIBOX_NODE} // '-'), "\n";
  }
  my $job = $env{MPIBOX_JOB_ID};
  print "JOBCPU $job ", ($f[11] // 0) + ($f[12] // 0), "\n" if defined $job && $want{$job};
}
`;

/** What a probe found. */
export interface ProbeReading {
  /** Distinct terminals with a user's processes: `user` and the node name the process said (or null). */
  sessions: { user: string; terminal: string; node: string | null }[];
  /** CPU time of each job's processes, in clock ticks (summed over the processes seen). */
  jobCpuTicks: Map<number, number>;
}

/** Reads the probe's output (several nodes' outputs may be joined). Unknown lines are ignored. */
export function parseProbe(output: string, nodeOfOutput: string | null = null): ProbeReading {
  const sessions = new Map<string, { user: string; terminal: string; node: string | null }>();
  const jobCpuTicks = new Map<number, number>();
  for (const line of output.split('\n')) {
    const session = /^SESSION (\S+) (\d+) (\S+)$/.exec(line);
    if (session) {
      const node = session[3] === '-' ? nodeOfOutput : session[3]!;
      sessions.set(`${node} ${session[2]}`, { user: session[1]!, terminal: session[2]!, node });
      continue;
    }
    const cpu = /^JOBCPU (\d+) (\d+)$/.exec(line);
    if (cpu) jobCpuTicks.set(Number(cpu[1]), (jobCpuTicks.get(Number(cpu[1])) ?? 0) + Number(cpu[2]));
  }
  return { sessions: [...sessions.values()], jobCpuTicks };
}
