import path from 'node:path';
import { z } from 'zod';

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
  AZURE_SUBSCRIPTION_ID: z.string().uuid().optional(),
});

/** Which chat surface and cloud the bot uses. */
export type Mode = 'local';

export interface Config {
  /** local: console surface + local provider (no Slack or Azure settings given). */
  mode: Mode;
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
  const cloudSettings = [
    e.SLACK_BOT_TOKEN,
    e.SLACK_APP_TOKEN,
    e.SLACK_SIGNING_SECRET,
    e.AZURE_SUBSCRIPTION_ID,
  ];
  if (cloudSettings.some((value) => value !== undefined)) {
    return {
      ok: false,
      message:
        'mpibox: invalid configuration:\n- Slack and Azure modes are not available in this build yet; ' +
        'unset SLACK_* and AZURE_* to run the local mode.',
    };
  }
  const dataDir = path.resolve(cwd, e.MPIBOX_DATA_DIR);
  return {
    ok: true,
    config: {
      mode: 'local',
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
