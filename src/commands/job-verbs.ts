/** The job verbs of the /mpi table: `run`, `jobs`, `logs`, `cancel`. */
import { z } from 'zod';
import {
  clusterNameSchema,
  jobIdSchema,
  rankCountSchema,
  runCommandSchema,
  tailLinesSchema,
  timeoutSchema,
} from './schemas.ts';
import type { Slot, VerbSpec } from './verb-spec.ts';

/** Shown when `run` has no `--` or nothing after it. */
export const RUN_FORM = '/mpi run [cluster] [-n RANKS] -- ./program args';

const optionalCluster: Slot = {
  key: 'cluster',
  label: 'Cluster name',
  noun: 'a cluster name',
  required: false,
};
const jobId: Slot = { key: 'jobId', label: 'Job id', noun: 'a job id (`7` or `#7`)', required: true };

export const JOB_VERB_SPECS: readonly VerbSpec[] = [
  {
    words: ['run'],
    positionals: [optionalCluster],
    flags: [
      { key: 'ranks', names: ['-n'], label: 'Rank count', value: 'RANKS' },
      { key: 'ranksPerNode', names: ['--ppn'], label: 'Ranks per node', value: 'K' },
      { key: 'timeoutInMs', names: ['--timeout'], label: 'Timeout', value: 'DURATION' },
    ],
    rest: { key: 'command', form: RUN_FORM },
    schema: () =>
      z
        .strictObject({
          cluster: clusterNameSchema.nullable(),
          ranks: rankCountSchema.nullable(),
          ranksPerNode: rankCountSchema.nullable(),
          timeoutInMs: timeoutSchema.nullable(),
          command: runCommandSchema,
        })
        .transform((args) => ({ verb: 'run' as const, ...args })),
  },
  {
    words: ['jobs'],
    positionals: [optionalCluster],
    flags: [],
    schema: () =>
      z
        .strictObject({ cluster: clusterNameSchema.nullable() })
        .transform((args) => ({ verb: 'jobs' as const, ...args })),
  },
  {
    words: ['logs'],
    positionals: [jobId],
    flags: [{ key: 'tail', names: ['--tail'], label: 'Line count', value: 'N' }],
    schema: () =>
      z
        .strictObject({ jobId: jobIdSchema, tail: tailLinesSchema.nullable() })
        .transform((args) => ({ verb: 'logs' as const, ...args })),
  },
  {
    words: ['cancel'],
    positionals: [jobId],
    flags: [],
    schema: () =>
      z.strictObject({ jobId: jobIdSchema }).transform((args) => ({ verb: 'cancel' as const, ...args })),
  },
];
