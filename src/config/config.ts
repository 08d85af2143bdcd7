import path from 'node:path';
import { z } from 'zod';
import type { ChannelPolicy } from '../domain/policy.ts';

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

const EnvSchema = z.object({
  MPIBOX_DATA_DIR: z.string().min(1).default('./.mpibox'),
  MPIBOX_ADMINS: csv.default([]),
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
  /** JSON: per-channel policy, e.g. {"C123":{"verbs":["status","list","run"],"maxNodes":4}}. */
  MPIBOX_CHANNEL_POLICY: z.string().optional(),
  AZURE_SUBSCRIPTION_ID: z.string().uuid().optional(),
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
export type Mode = 'local';

export interface Config {
  /** local: the local provider (no Azure settings given). */
  mode: Mode;
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
  if (e.AZURE_SUBSCRIPTION_ID !== undefined) {
    problems.push(
      '- AZURE_SUBSCRIPTION_ID: the Azure provider is not in this build yet; unset AZURE_* to use the local provider',
    );
  }
  const surface = pickSurface(e, problems);
  const channelPolicy = parsePolicy(e.MPIBOX_CHANNEL_POLICY, problems);
  if (problems.length > 0)
    return { ok: false, message: `mpibox: invalid configuration:\n${problems.join('\n')}` };
  const dataDir = path.resolve(cwd, e.MPIBOX_DATA_DIR);
  return {
    ok: true,
    config: {
      mode: 'local',
      surface,
      channelPolicy,
      dataDir,
      databasePath: path.join(dataDir, 'mpibox.db'),
      adminIds: e.MPIBOX_ADMINS,
      maxNodesPerCluster: e.MPIBOX_MAX_NODES_PER_CLUSTER,
      maxTotalNodes: e.MPIBOX_MAX_TOTAL_NODES,
      localBasePort: e.MPIBOX_LOCAL_BASE_PORT,
      localSlotsPerNode: e.MPIBOX_LOCAL_SLOTS_PER_NODE,
      readyTimeoutInMs: e.MPIBOX_READY_TIMEOUT_SECONDS * 1000,
      jobsPerCluster: e.MPIBOX_JOBS_PER_CLUSTER,
      localMpiexec: e.MPIBOX_LOCAL_MPIEXEC.split(' '),
      chatIntervalInMs: e.MPIBOX_CHAT_INTERVAL_MS,
      jobLostAfterInMs: e.MPIBOX_JOB_LOST_AFTER_SECONDS * 1000,
      logLevel: e.MPIBOX_LOG_LEVEL,
      consoleUser: e.USER ?? null,
    },
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
