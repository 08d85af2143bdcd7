import path from 'node:path';
import { z } from 'zod';
import type { ChannelPolicy } from '../domain/policy.ts';
import { RESERVED_USERNAMES } from '../providers/azure/cloud-init.ts';
import { parseDuration } from '../domain/job.ts';
import { COST_ENV_SHAPE, pickCost, type CostConfig } from './cost-config.ts';

/**
 * The one place that reads the environment. `loadConfig(env)` is a pure function of the
 * variables it is given; every problem is reported at once, in one message.
 */

const csv = z.string().transform((text) =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);

const positiveInt = (max: number) => z.coerce.number().int().min(1).max(max);

/** Azure VM size names: `Standard_` and letters, digits, underscores (Standard_HB120rs_v3). */
const vmSize = z
  .string()
  .regex(/^(Standard|Basic)_[A-Za-z0-9_-]{1,40}$/, 'a VM size such as Standard_HB120rs_v3');

/** A Linux login name Azure accepts: lowercase, digits, - and _, not reserved. */
const linuxUser = z
  .string()
  .regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'a Linux user name: lowercase letters, digits, - and _, at most 32')
  .refine((name) => !RESERVED_USERNAMES.has(name), 'reserved by Azure or the image; pick another name');

/** A comma-separated list whose every item passes `check`; at least one item. */
function listOf(check: (item: string) => boolean, problem: string) {
  return z.string().transform((text, context) => {
    const items = text
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
    if (items.length === 0) context.addIssue({ code: 'custom', message: 'at least one value' });
    for (const item of items.filter((candidate) => !check(candidate)))
      context.addIssue({ code: 'custom', message: `${JSON.stringify(item)} ${problem}` });
    return items;
  });
}

/** `a.b.c.d/n` with each part in range. */
function isIpv4Cidr(text: string): boolean {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!match) return false;
  const [, a, b, c, d, bits] = match.map(Number);
  return [a, b, c, d].every((part) => part !== undefined && part <= 255) && bits !== undefined && bits <= 32;
}

export const EnvSchema = z.object({
  MPIBOX_DATA_DIR: z.string().min(1).default('./.mpibox'),
  MPIBOX_ADMINS: csv.default([]),
  /** Slack channel id where the reconciler reports orphaned clusters to the admins. */
  MPIBOX_ADMIN_CHANNEL: z
    .string()
    .regex(/^[CG][A-Z0-9]{2,}$/, 'a Slack channel id such as C0123ABC')
    .optional(),
  MPIBOX_MAX_NODES_PER_CLUSTER: positiveInt(1000).default(16),
  MPIBOX_MAX_TOTAL_NODES: positiveInt(10_000).default(64),
  MPIBOX_LOCAL_BASE_PORT: z.coerce.number().int().min(1024).max(65_000).default(10106),
  MPIBOX_LOCAL_SLOTS_PER_NODE: positiveInt(256).default(1),
  MPIBOX_JOBS_PER_CLUSTER: positiveInt(64).default(1),
  MPIBOX_LOCAL_MPIEXEC: z
    .string()
    .regex(
      /^[\w./=:,+-]+( [\w./=:,+-]+)*$/,
      'words of letters, digits and ./=:,+- separated by single spaces',
    )
    .default('mpiexec'),
  MPIBOX_CHAT_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  MPIBOX_JOB_LOST_AFTER_SECONDS: positiveInt(86_400).default(600),
  MPIBOX_READY_TIMEOUT_SECONDS: positiveInt(3600).default(120),
  /** Run the MPI check across the nodes before a cluster is ready (off for images without MPI). */
  MPIBOX_READY_CHECK: z
    .enum(['true', 'false'], { message: 'true or false' })
    .default('true')
    .transform((value) => value === 'true'),
  USER: z.string().min(1).optional(),
  MPIBOX_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  SLACK_BOT_TOKEN: z
    .string()
    .regex(/^xoxb-/, 'must start with xoxb-')
    .optional(),
  SLACK_APP_TOKEN: z
    .string()
    .regex(/^xapp-/, 'must start with xapp-')
    .optional(),
  SLACK_SIGNING_SECRET: z.string().min(1).optional(),
  /** Web API base URL; only tests point it elsewhere (at the fake Slack in test/). */
  SLACK_API_URL: z.string().url().optional(),
  MPIBOX_HTTP_PORT: z.coerce.number().int().min(1).max(65_535).default(3000),
  /** Job-log archive on Blob Storage: a connection string (account key or SAS)… */
  AZURE_STORAGE_CONNECTION_STRING: z.string().min(1).optional(),
  /** …or an account URL reached with DefaultAzureCredential. Neither: a folder in the data directory. */
  AZURE_STORAGE_ACCOUNT_URL: z
    .string()
    .url()
    .startsWith('https://', 'an https URL such as https://myaccount.blob.core.windows.net')
    .optional(),
  MPIBOX_ARCHIVE_LINK_LIFETIME: z
    .string()
    .transform((text, context) => {
      const ms = parseDuration(text.trim());
      if (ms === null || ms > 7 * 86_400_000) {
        context.addIssue({ code: 'custom', message: 'a duration from 1s to 7d, e.g. 24h' });
        return z.NEVER;
      }
      return ms;
    })
    .default(86_400_000),
  /** Names the archive's container (one per team). */
  MPIBOX_TEAM: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,40}$/, 'letters, digits, space, _ . - (at most 41)')
    .default('mpibox'),
  /** `/healthz` and `/metrics`; unset: not served. */
  MPIBOX_METRICS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  MPIBOX_METRICS_HOST: z.string().min(1).default('0.0.0.0'),
  /** JSON: per-channel policy, e.g. {"C123":{"verbs":["status","list","run"],"maxNodes":4}}. */
  MPIBOX_CHANNEL_POLICY: z.string().optional(),
  /** Its presence selects the Azure provider. */
  AZURE_SUBSCRIPTION_ID: z
    .guid('a subscription id: a GUID like 00000000-0000-0000-0000-000000000000')
    .optional(),
  AZURE_LOCATION: z
    .string()
    .regex(/^[a-z][a-z0-9]{2,39}$/, 'a region name such as eastus or westeurope')
    .optional(),
  AZURE_VM_SIZE: vmSize.default('Standard_HB120rs_v3'),
  /** Sizes users may pick with --size; the default size is always allowed. */
  AZURE_VM_SIZES: listOf(
    (size) => vmSize.safeParse(size).success,
    'is not a VM size such as Standard_HB120rs_v3',
  ).optional(),
  AZURE_IMAGE: z
    .string()
    .regex(
      /^[\w.-]+:[\w.-]+:[\w.-]+:[\w.-]+$/,
      'publisher:offer:sku:version, e.g. microsoft-dsvm:ubuntu-hpc:2204:latest',
    )
    .default('microsoft-dsvm:ubuntu-hpc:2204:latest'),
  /** CIDRs allowed to reach SSH; required with Azure (never the whole internet by default). */
  AZURE_SSH_SOURCE: listOf(isIpv4Cidr, 'is not an IPv4 CIDR such as 203.0.113.0/24').optional(),
  AZURE_ADMIN_USERNAME: linuxUser.default('mpiboxadmin'),
  AZURE_JOB_USERNAME: linuxUser.default('mpi'),
  AZURE_CLOUD: z
    .enum(['AzurePublicCloud', 'AzureUSGovernment', 'AzureChinaCloud'])
    .default('AzurePublicCloud'),
  /** Overrides the ARM base URL (Azure Stack Hub, private clouds, tests). */
  AZURE_RESOURCE_MANAGER_ENDPOINT: z.string().url().optional(),
  /** Spot clusters: the most to pay per node-hour in USD; -1 pays up to the on-demand price. */
  AZURE_SPOT_MAX_PRICE: z.coerce
    .number()
    .refine(
      (price) => price === -1 || (price > 0 && price < 1000),
      '-1 (up to on-demand) or a price in USD per hour',
    )
    .default(-1),
  ...COST_ENV_SHAPE,
});

const ChannelPolicySchema = z.record(
  z.string().regex(/^[A-Z0-9]+$/, 'channel ids look like C0123ABC'),
  z
    .object({
      verbs: z.array(z.string().regex(/^[a-z-]+$/)).optional(),
      maxNodes: z.number().int().min(1).optional(),
    })
    .strict(),
);

/** How the bot talks to people. */
export type Surface =
  | { kind: 'console' }
  | { kind: 'slack-http'; botToken: string; signingSecret: string; port: number; apiUrl: string | null }
  | {
      kind: 'slack-socket';
      botToken: string;
      appToken: string;
      signingSecret: string | null;
      apiUrl: string | null;
    };

/** Which cloud the bot uses. */
export type Mode = 'local' | 'azure';

/** Azure settings; present exactly when `mode` is azure. */
export interface AzureConfig {
  subscriptionId: string;
  /** Region every cluster is created in, e.g. eastus. */
  location: string;
  /** Default VM size of a node. */
  vmSize: string;
  /** Sizes `--size` may name (the default first). */
  vmSizes: string[];
  /** Marketplace image reference. */
  image: { publisher: string; offer: string; sku: string; version: string };
  /** CIDRs the NSG lets reach SSH. */
  sshSources: string[];
  /** The bot's own login on the nodes (only the bot's key, sudo). */
  adminUsername: string;
  /** The team's login (the channel users' keys, no sudo). */
  jobUsername: string;
  cloud: 'AzurePublicCloud' | 'AzureUSGovernment' | 'AzureChinaCloud';
  /** ARM base URL: the cloud's, or AZURE_RESOURCE_MANAGER_ENDPOINT. */
  resourceManagerEndpoint: string;
  /** Spot max price in USD per node-hour; -1 for up to the on-demand price. */
  spotMaxPricePerHour: number;
}

/** ARM endpoints of the sovereign clouds. */
const ARM_ENDPOINTS: Record<AzureConfig['cloud'], string> = {
  AzurePublicCloud: 'https://management.azure.com',
  AzureUSGovernment: 'https://management.usgovcloudapi.net',
  AzureChinaCloud: 'https://management.chinacloudapi.cn',
};

export interface Config extends CostConfig {
  /** local: the local provider (no Azure settings given); azure: AZURE_SUBSCRIPTION_ID set. */
  mode: Mode;
  /** Azure settings when mode is azure, else null. */
  azure: AzureConfig | null;
  /** Console without Slack tokens; Slack over Socket Mode with an app token, else over HTTP. */
  surface: Surface;
  /** Per-channel policy by channel id. */
  channelPolicy: Record<string, ChannelPolicy>;
  /** Absolute data directory: database, bot SSH key, local clusters. */
  dataDir: string;
  /** Absolute path of the SQLite database. */
  databasePath: string;
  /** User ids (Slack ids, or console names) allowed to act on any cluster. */
  adminIds: string[];
  /** Slack channel id for the admins' reports (orphaned clusters); null: they go to the log only. */
  adminChannelId: string | null;
  /** Upper bound of `/mpi up N` and `/mpi resize`. */
  maxNodesPerCluster: number;
  /** Upper bound of all live nodes together. */
  maxTotalNodes: number;
  /** Local provider: first SSH port handed out; nodes get the next free ones. */
  localBasePort: number;
  /** Local provider: MPI slots per node in the machinefile. */
  localSlotsPerNode: number;
  /** Jobs running at once per cluster; later ones queue. */
  jobsPerCluster: number;
  /** Local provider: mpiexec and fixed arguments, one word each. */
  localMpiexec: string[];
  /** Least time between two chat calls for one cluster (Slack allows about one a second). */
  chatIntervalInMs: number;
  /** A running job whose node cannot be reached this long is marked lost. */
  jobLostAfterInMs: number;
  /** How long `up` waits for every node to answer SSH. */
  readyTimeoutInMs: number;
  /** The job-log archive: Blob Storage (by connection string or account URL), else a folder. */
  archive: {
    blob: { connectionString: string } | { accountUrl: string } | null;
    linkLifetimeInMs: number;
    team: string;
  };
  /** Port of `/healthz` and `/metrics` (0: any free port); null: not served. */
  metricsPort: number | null;
  /** Address they listen on. */
  metricsHost: string;
  /** Whether a cluster passes an MPI check across its nodes before it is called ready. */
  readyCheck: boolean;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Console mode: who is typing (`$USER`; null when unset), unless `--as NAME` is given. */
  consoleUser: string | null;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; message: string };

/** Builds the config from an environment; `cwd` resolves a relative data directory. */
export function loadConfig(env: Record<string, string | undefined>, cwd: string): ConfigResult {
  const parsed = EnvSchema.safeParse(pickKnown(env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `- ${issue.path.join('.')}: ${issue.message}`);
    return { ok: false, message: `mpibox: invalid configuration:\n${lines.join('\n')}` };
  }
  const e = parsed.data;
  const problems: string[] = [];
  const azure = pickAzure(e, problems);
  const surface = pickSurface(e, problems);
  const channelPolicy = parsePolicy(e.MPIBOX_CHANNEL_POLICY, problems);
  if (e.AZURE_STORAGE_CONNECTION_STRING && e.AZURE_STORAGE_ACCOUNT_URL)
    problems.push('- AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_ACCOUNT_URL: set one of them, not both');
  if (problems.length > 0)
    return { ok: false, message: `mpibox: invalid configuration:\n${problems.join('\n')}` };
  const dataDir = path.resolve(cwd, e.MPIBOX_DATA_DIR);
  return {
    ok: true,
    config: {
      mode: azure ? 'azure' : 'local',
      azure,
      surface,
      channelPolicy,
      dataDir,
      databasePath: path.join(dataDir, 'mpibox.db'),
      adminIds: e.MPIBOX_ADMINS,
      adminChannelId: e.MPIBOX_ADMIN_CHANNEL ?? null,
      maxNodesPerCluster: e.MPIBOX_MAX_NODES_PER_CLUSTER,
      maxTotalNodes: e.MPIBOX_MAX_TOTAL_NODES,
      localBasePort: e.MPIBOX_LOCAL_BASE_PORT,
      localSlotsPerNode: e.MPIBOX_LOCAL_SLOTS_PER_NODE,
      readyTimeoutInMs: e.MPIBOX_READY_TIMEOUT_SECONDS * 1000,
      readyCheck: e.MPIBOX_READY_CHECK,
      archive: {
        blob: e.AZURE_STORAGE_CONNECTION_STRING
          ? { connectionString: e.AZURE_STORAGE_CONNECTION_STRING }
          : e.AZURE_STORAGE_ACCOUNT_URL
            ? { accountUrl: e.AZURE_STORAGE_ACCOUNT_URL }
            : null,
        linkLifetimeInMs: e.MPIBOX_ARCHIVE_LINK_LIFETIME,
        team: e.MPIBOX_TEAM,
      },
      metricsPort: e.MPIBOX_METRICS_PORT ?? null,
      metricsHost: e.MPIBOX_METRICS_HOST,
      jobsPerCluster: e.MPIBOX_JOBS_PER_CLUSTER,
      localMpiexec: e.MPIBOX_LOCAL_MPIEXEC.split(' '),
      chatIntervalInMs: e.MPIBOX_CHAT_INTERVAL_MS,
      jobLostAfterInMs: e.MPIBOX_JOB_LOST_AFTER_SECONDS * 1000,
      logLevel: e.MPIBOX_LOG_LEVEL,
      consoleUser: e.USER ?? null,
      ...pickCost(e),
    },
  };
}

/** Azure settings when AZURE_SUBSCRIPTION_ID is set; other AZURE_* settings without it are an error. */
function pickAzure(e: z.infer<typeof EnvSchema>, problems: string[]): AzureConfig | null {
  if (e.AZURE_SUBSCRIPTION_ID === undefined) {
    const stray = (
      ['AZURE_LOCATION', 'AZURE_SSH_SOURCE', 'AZURE_VM_SIZES', 'AZURE_RESOURCE_MANAGER_ENDPOINT'] as const
    ).filter((key) => e[key] !== undefined);
    if (stray.length > 0)
      problems.push(
        `- ${stray.join(', ')}: set AZURE_SUBSCRIPTION_ID to use Azure, or unset these for the local provider`,
      );
    return null;
  }
  if (e.AZURE_LOCATION === undefined)
    problems.push('- AZURE_LOCATION: required with AZURE_SUBSCRIPTION_ID (e.g. eastus)');
  if (e.AZURE_SSH_SOURCE === undefined)
    problems.push(
      '- AZURE_SSH_SOURCE: required with AZURE_SUBSCRIPTION_ID: the CIDRs allowed to reach SSH (e.g. 203.0.113.0/24); mpibox never opens SSH to the whole internet by default',
    );
  if (e.AZURE_ADMIN_USERNAME === e.AZURE_JOB_USERNAME)
    problems.push(
      '- AZURE_JOB_USERNAME: must differ from AZURE_ADMIN_USERNAME (the bot and the team have separate logins)',
    );
  const [publisher = '', offer = '', sku = '', version = ''] = e.AZURE_IMAGE.split(':');
  const vmSizes = [e.AZURE_VM_SIZE, ...(e.AZURE_VM_SIZES ?? []).filter((size) => size !== e.AZURE_VM_SIZE)];
  return {
    subscriptionId: e.AZURE_SUBSCRIPTION_ID,
    location: e.AZURE_LOCATION ?? '',
    vmSize: e.AZURE_VM_SIZE,
    vmSizes,
    image: { publisher, offer, sku, version },
    sshSources: e.AZURE_SSH_SOURCE ?? [],
    adminUsername: e.AZURE_ADMIN_USERNAME,
    jobUsername: e.AZURE_JOB_USERNAME,
    cloud: e.AZURE_CLOUD,
    resourceManagerEndpoint: (e.AZURE_RESOURCE_MANAGER_ENDPOINT ?? ARM_ENDPOINTS[e.AZURE_CLOUD]).replace(
      /\/+$/,
      '',
    ),
    spotMaxPricePerHour: e.AZURE_SPOT_MAX_PRICE,
  };
}

/** Only our own variables; empty strings count as unset (as in most shells' `VAR=`). */
function pickKnown(env: Record<string, string | undefined>): Record<string, string> {
  const known: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') known[key] = value;
  }
  return known;
}

function pickSurface(e: z.infer<typeof EnvSchema>, problems: string[]): Surface {
  const apiUrl = e.SLACK_API_URL ?? null;
  if (e.SLACK_BOT_TOKEN === undefined) {
    if (e.SLACK_APP_TOKEN !== undefined || e.SLACK_SIGNING_SECRET !== undefined) {
      problems.push('- SLACK_BOT_TOKEN: required with SLACK_APP_TOKEN or SLACK_SIGNING_SECRET');
    }
    return { kind: 'console' };
  }
  if (e.SLACK_APP_TOKEN !== undefined) {
    return {
      kind: 'slack-socket',
      botToken: e.SLACK_BOT_TOKEN,
      appToken: e.SLACK_APP_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET ?? null,
      apiUrl,
    };
  }
  if (e.SLACK_SIGNING_SECRET === undefined) {
    problems.push(
      '- SLACK_SIGNING_SECRET or SLACK_APP_TOKEN: one is required with SLACK_BOT_TOKEN (HTTP or Socket Mode)',
    );
    return { kind: 'console' };
  }
  return {
    kind: 'slack-http',
    botToken: e.SLACK_BOT_TOKEN,
    signingSecret: e.SLACK_SIGNING_SECRET,
    port: e.MPIBOX_HTTP_PORT,
    apiUrl,
  };
}

function parsePolicy(text: string | undefined, problems: string[]): Record<string, ChannelPolicy> {
  if (text === undefined) return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    problems.push('- MPIBOX_CHANNEL_POLICY: not valid JSON');
    return {};
  }
  const parsed = ChannelPolicySchema.safeParse(json);
  if (!parsed.success) {
    problems.push(
      ...parsed.error.issues.map(
        (issue) => `- MPIBOX_CHANNEL_POLICY.${issue.path.join('.')}: ${issue.message}`,
      ),
    );
    return {};
  }
  return parsed.data;
}
