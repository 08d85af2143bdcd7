import { EnvSchema } from './config.ts';

/**
 * What every setting of the config schema means, for the README's configuration reference.
 * `configReference()` writes the tables from the schema itself (names and defaults), so a
 * setting added to the schema without a line here fails its test, and so does a README that
 * drifted from the schema (`npm run config-reference -- --write` rewrites it).
 */

type Group = 'General' | 'Local provider' | 'Slack' | 'Azure' | 'Idle reaping and cost';

interface SettingDoc {
  group: Group;
  meaning: string;
  /** Shown instead of the schema's default (a default made elsewhere, or a requirement). */
  defaultText?: string;
}

export const SETTING_DOCS: Record<string, SettingDoc> = {
  MPIBOX_DATA_DIR: {
    group: 'General',
    meaning:
      "Database (`mpibox.db`), the bot's SSH key (`bot_ed25519`, mode 0600), local clusters, price cache, report charts.",
  },
  MPIBOX_ADMINS: {
    group: 'General',
    meaning: 'Comma-separated user ids that may resize/down any cluster and approve going over a budget.',
    defaultText: '(none)',
  },
  MPIBOX_ADMIN_CHANNEL: {
    group: 'General',
    meaning: 'Slack channel id for admin reports (orphaned clusters); without it they go to the log.',
  },
  MPIBOX_MAX_NODES_PER_CLUSTER: { group: 'General', meaning: 'Largest `up`/`resize`.' },
  MPIBOX_MAX_TOTAL_NODES: { group: 'General', meaning: 'All live nodes together.' },
  MPIBOX_READY_TIMEOUT_SECONDS: {
    group: 'General',
    meaning: 'How long `up` waits for every node to answer SSH.',
  },
  MPIBOX_READY_CHECK: {
    group: 'General',
    meaning: 'Run the MPI check across the nodes before a cluster is ready (`false`: images without MPI).',
    defaultText: '`true`',
  },
  MPIBOX_JOBS_PER_CLUSTER: {
    group: 'General',
    meaning: 'Jobs running at once per cluster; later ones wait in order.',
  },
  MPIBOX_CHAT_INTERVAL_MS: {
    group: 'General',
    meaning: 'Least time between two chat calls in one channel (Slack allows about one a second).',
  },
  MPIBOX_JOB_LOST_AFTER_SECONDS: {
    group: 'General',
    meaning: 'A running job whose node 0 cannot be reached this long is marked `lost`.',
  },
  MPIBOX_LOG_LEVEL: { group: 'General', meaning: 'JSON log lines go to stderr; chat output to stdout.' },
  MPIBOX_CHANNEL_POLICY: {
    group: 'General',
    meaning:
      'JSON, per channel id: `verbs` allowed, `maxNodes`, e.g. `{"C0123":{"verbs":["status","run"],"maxNodes":4}}`.',
  },
  AZURE_STORAGE_CONNECTION_STRING: {
    group: 'General',
    meaning:
      'Job-log archive on Blob Storage by connection string (account key: service SAS links; SAS: no links). Kept out of logs.',
  },
  AZURE_STORAGE_ACCOUNT_URL: {
    group: 'General',
    meaning:
      'Or the account URL (`https://<account>.blob.core.windows.net`) with `DefaultAzureCredential` (role Storage Blob Data Contributor; user-delegation links). Neither: a folder `archive/` in the data folder.',
  },
  MPIBOX_ARCHIVE_LINK_LIFETIME: {
    group: 'General',
    meaning: "How long the read link posted in a job's thread works (at most 7 days).",
    defaultText: '`24h`',
  },
  MPIBOX_TEAM: {
    group: 'General',
    meaning: "The team's name: the archive keeps one container per team (`mpibox-<team>`).",
  },
  MPIBOX_METRICS_PORT: {
    group: 'General',
    meaning:
      'Serves `/healthz` (503 naming the failing part) and `/metrics` (Prometheus) on this port; unset: not served. The container sets 9464.',
  },
  MPIBOX_METRICS_HOST: {
    group: 'General',
    meaning:
      'Address of that server; `0.0.0.0` so a container can publish it; use `127.0.0.1` on a shared host without a firewall.',
  },
  USER: {
    group: 'General',
    meaning: 'Console mode: who is typing (or `npm start -- --as NAME`).',
    defaultText: 'the login name',
  },
  MPIBOX_LOCAL_BASE_PORT: {
    group: 'Local provider',
    meaning: 'First SSH port of local nodes; each node gets its own.',
  },
  MPIBOX_LOCAL_SLOTS_PER_NODE: {
    group: 'Local provider',
    meaning: 'MPI slots per local node in the machinefile.',
  },
  MPIBOX_LOCAL_MPIEXEC: {
    group: 'Local provider',
    meaning: 'The launcher and fixed arguments for local clusters (e.g. `mpiexec --bind-to none`).',
  },
  SLACK_BOT_TOKEN: {
    group: 'Slack',
    meaning:
      '`xoxb-…`; with `SLACK_APP_TOKEN` → Socket Mode, with `SLACK_SIGNING_SECRET` → HTTP. Without it: the console.',
  },
  SLACK_APP_TOKEN: {
    group: 'Slack',
    meaning: '`xapp-…` (scope `connections:write`): Socket Mode, no public URL needed.',
  },
  SLACK_SIGNING_SECRET: {
    group: 'Slack',
    meaning: 'Checks that HTTP requests come from Slack (Basic Information → Signing Secret).',
  },
  SLACK_API_URL: {
    group: 'Slack',
    meaning: 'Web API base URL; only tests point it elsewhere.',
    defaultText: "Slack's",
  },
  MPIBOX_HTTP_PORT: { group: 'Slack', meaning: 'HTTP mode: the port of `POST /slack/events`.' },
  AZURE_SUBSCRIPTION_ID: { group: 'Azure', meaning: 'Its presence selects Azure.' },
  AZURE_LOCATION: {
    group: 'Azure',
    meaning: 'Region of every cluster, e.g. `eastus`.',
    defaultText: '(required with Azure)',
  },
  AZURE_SSH_SOURCE: {
    group: 'Azure',
    meaning: 'Comma-separated IPv4 CIDRs allowed to reach SSH; never the whole internet by default.',
    defaultText: '(required with Azure)',
  },
  AZURE_VM_SIZE: { group: 'Azure', meaning: 'Default node size.' },
  AZURE_VM_SIZES: { group: 'Azure', meaning: 'Sizes `--size` may name.', defaultText: 'the default size' },
  AZURE_IMAGE: { group: 'Azure', meaning: '`publisher:offer:sku:version`.' },
  AZURE_ADMIN_USERNAME: {
    group: 'Azure',
    meaning: "The bot's login on the nodes (only the bot's key, sudo).",
  },
  AZURE_JOB_USERNAME: { group: 'Azure', meaning: "The team's login (the channel users' keys, no sudo)." },
  AZURE_CLOUD: { group: 'Azure', meaning: 'Or `AzureUSGovernment`, `AzureChinaCloud`.' },
  AZURE_RESOURCE_MANAGER_ENDPOINT: {
    group: 'Azure',
    meaning: 'ARM base URL (Azure Stack Hub, private clouds, tests).',
    defaultText: "the cloud's",
  },
  AZURE_SPOT_MAX_PRICE: {
    group: 'Azure',
    meaning: '`--spot` clusters: most USD per node-hour; -1 pays up to the on-demand price.',
  },
  MPIBOX_IDLE_TIMEOUT: {
    group: 'Idle reaping and cost',
    meaning: "No job and no user's SSH session this long: the owner is warned.",
    defaultText: '`30m`',
  },
  MPIBOX_REAP_GRACE: {
    group: 'Idle reaping and cost',
    meaning: 'After the warning, this long without activity or a keep: the cluster is reaped.',
    defaultText: '`10m`',
  },
  MPIBOX_REAP_ACTION: {
    group: 'Idle reaping and cost',
    meaning: '`stop`: deallocate, disks kept, `up` of the name starts it; `delete`: gone.',
  },
  MPIBOX_KEEP_MAX: {
    group: 'Idle reaping and cost',
    meaning: 'Longest keep (`/mpi keep`, the Keep buttons).',
    defaultText: '`12h`',
  },
  MPIBOX_STUCK_AFTER: {
    group: 'Idle reaping and cost',
    meaning: 'A running job with no output and no CPU this long is asked about (never reaped).',
    defaultText: '`2h`',
  },
  MPIBOX_REAPER_SCHEDULE: {
    group: 'Idle reaping and cost',
    meaning:
      "The reaper's tick (cron, five fields or six with seconds; also the budget check); `off` turns reaping off.",
  },
  MPIBOX_REPORT_SCHEDULE: {
    group: 'Idle reaping and cost',
    meaning: 'The weekly cost report (cron in `MPIBOX_REPORT_TZ`); `off` turns it off.',
  },
  MPIBOX_REPORT_TZ: {
    group: 'Idle reaping and cost',
    meaning: 'Time zone of reports, days, weeks, months and "keep until tonight".',
  },
  MPIBOX_REPORT_CHANNEL: {
    group: 'Idle reaping and cost',
    meaning: 'Slack channel id the weekly report goes to.',
    defaultText: '(none; the console prints it)',
  },
  MPIBOX_BUDGETS: {
    group: 'Idle reaping and cost',
    meaning: 'Monthly budgets in USD per channel: `C0123ABC=500,C0456DEF=1200`.',
    defaultText: '(none)',
  },
  MPIBOX_PRICES_URL: {
    group: 'Idle reaping and cost',
    meaning:
      'Where prices come from (the Azure Retail Prices API); `off` keeps to the cache and the shipped snapshot.',
  },
  MPIBOX_LOCAL_PRICE_AS: {
    group: 'Idle reaping and cost',
    meaning: 'Local clusters are priced as this Azure size in this region.',
  },
};

const GROUPS: readonly Group[] = ['General', 'Local provider', 'Slack', 'Azure', 'Idle reaping and cost'];

/** The schema's default of a setting as the README shows it; `(none)` when it has none. */
function schemaDefault(key: string): string {
  const field = (EnvSchema.shape as Record<string, { def?: { type?: string; defaultValue?: unknown } }>)[key];
  if (field?.def?.type !== 'default') return '(none)';
  const value = field.def.defaultValue;
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : `\`${value.join(',')}\``;
  if (typeof value === 'object' && value !== null)
    return Object.keys(value).length === 0 ? '(none)' : `\`${JSON.stringify(value)}\``;
  return `\`${String(value)}\``;
}

/** The README's configuration reference: one table per group, rows in schema order. */
export function configReference(): string {
  const keys = Object.keys(EnvSchema.shape);
  return GROUPS.map((group) => {
    const rows = keys
      .filter((key) => SETTING_DOCS[key]?.group === group)
      .map((key) => {
        const doc = SETTING_DOCS[key]!;
        return `| \`${key}\` | ${doc.defaultText ?? schemaDefault(key)} | ${doc.meaning.replaceAll('|', '\\|')} |`;
      });
    return [`**${group}**`, '', '| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join(
      '\n',
    );
  }).join('\n\n');
}

/** Settings of the schema without a line here, and lines for settings the schema lacks. */
export function undocumentedSettings(): { missing: string[]; stale: string[] } {
  const keys = Object.keys(EnvSchema.shape);
  return {
    missing: keys.filter((key) => !(key in SETTING_DOCS)),
    stale: Object.keys(SETTING_DOCS).filter((key) => !keys.includes(key)),
  };
}
