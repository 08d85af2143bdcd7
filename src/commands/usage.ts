/** Help text for chat: one line per verb, plus details for `help <verb>`. */

interface UsageEntry {
  /** What follows `/mpi help`: `up`, `key add`. */
  topic: string;
  /** Syntax after `/mpi`. */
  syntax: string;
  /** What it does, a few words. */
  summary: string;
  /** Extra lines shown by `help <topic>` and with errors about this verb. */
  details: readonly string[];
}

const NAME_RULE = 'Names: a lowercase letter, then 1–30 lowercase letters, digits or dashes.';
const NAME_DEFAULT = '`[name]` may be left out when the channel has exactly one cluster.';
const CLUSTER_DEFAULT = '`[cluster]` may be left out when the channel has exactly one cluster.';
const JOB_RULE = 'A job is the number `/mpi jobs` shows: `7` or `#7`.';

const ENTRIES: readonly UsageEntry[] = [
  {
    topic: 'up',
    syntax: 'up <nodes> [name] [--size SKU] [--spot]',
    summary: 'create a cluster of <nodes> VMs',
    details: [
      '`--size` picks the VM size (e.g. `Standard_D4s_v5`); `--spot` uses cheaper, evictable spot VMs.',
      NAME_RULE,
    ],
  },
  {
    topic: 'resize',
    syntax: 'resize [name] <nodes>',
    summary: 'grow or shrink a cluster to <nodes> VMs',
    details: [NAME_DEFAULT],
  },
  {
    topic: 'down',
    syntax: 'down [name] [--yes]',
    summary: 'delete a cluster and stop its billing',
    details: ['Asks for confirmation unless `--yes` (or `-y`) is given.', NAME_DEFAULT],
  },
  {
    topic: 'status',
    syntax: 'status [name]',
    summary: "show a cluster's state and nodes",
    details: [NAME_DEFAULT],
  },
  { topic: 'list', syntax: 'list', summary: "list this channel's clusters", details: [] },
  {
    topic: 'keep',
    syntax: 'keep [name] <duration|tonight>',
    summary: 'keep an idle cluster from being reaped for a while',
    details: [
      'Idle clusters (no job, no SSH session) get a warning, then are stopped; `keep` postpones that, e.g. `/mpi keep demo 2h`. Admins set the longest keep.',
      NAME_DEFAULT,
    ],
  },
  {
    topic: 'cost',
    syntax: 'cost [today|week|month]',
    summary: 'what clusters cost, per user and cluster (default: this month)',
    details: [],
  },
  {
    topic: 'run',
    syntax: 'run [cluster] [-n RANKS] [--ppn K] [--timeout DURATION] -- <command…>',
    summary: 'run an MPI job on a cluster',
    details: [
      'Everything after `--` is your command, run exactly as typed (quotes, `;`, `$(…)` and all), e.g. `/mpi run demo -n 4 -- ./solver in.dat`.',
      '`-n` is the number of MPI ranks and `--ppn` the ranks per node (1–4096 each).',
      '`--timeout` cancels the job after `90s`, `15m`, `2h`, `1h30m`, `1d`… (at most 7 days).',
      CLUSTER_DEFAULT,
    ],
  },
  {
    topic: 'jobs',
    syntax: 'jobs [cluster]',
    summary: "list a cluster's jobs",
    details: [CLUSTER_DEFAULT],
  },
  {
    topic: 'logs',
    syntax: 'logs <job> [--tail N]',
    summary: "show a job's output, or its last N lines (up to 1000)",
    details: [JOB_RULE],
  },
  {
    topic: 'cancel',
    syntax: 'cancel <job>',
    summary: 'stop a queued or running job',
    details: [JOB_RULE],
  },
  {
    topic: 'key add',
    syntax: 'key add <public key>',
    summary: 'register your SSH public key for the clusters',
    details: [
      'Paste the one line of your `.pub` file, e.g. `ssh-ed25519 AAAA… you@laptop`. Never paste a private key.',
    ],
  },
  {
    topic: 'key list',
    syntax: 'key list',
    summary: 'list your SSH keys and their fingerprints',
    details: [],
  },
  {
    topic: 'key rm',
    syntax: 'key rm <fingerprint>',
    summary: 'remove one of your SSH keys',
    details: ['The fingerprint is the `SHA256:…` text that `/mpi key list` shows.'],
  },
  {
    topic: 'help',
    syntax: 'help [command]',
    summary: 'show this help, or more about one command',
    details: [],
  },
];

/** Topics `help` knows: each verb plus the `key` group. */
export const HELP_TOPICS: readonly string[] = [...ENTRIES.map((entry) => entry.topic), 'key'];

/**
 * Usage text. With a topic (`up`, `key add`, `key-add`, `key`) the lines for it and their
 * details; without one, or with an unknown one, the general help.
 */
export function usageText(verb?: string): string {
  const topic = (verb ?? '').trim().replace(/^key-/, 'key ');
  const selected = ENTRIES.filter((entry) => entry.topic === topic || entry.topic.startsWith(`${topic} `));
  if (topic === '' || selected.length === 0) {
    return [...ENTRIES.map(line), NAME_DEFAULT, NAME_RULE].join('\n');
  }
  const details = selected.length === 1 ? selected[0]!.details : [];
  return [...selected.map(line), ...details].join('\n');
}

function line(entry: UsageEntry): string {
  return `\`/mpi ${entry.syntax}\` — ${entry.summary}`;
}
