/**
 * The /mpi verb table: how each verb reads its words and the zod schema that types them. The
 * job verbs (`run`, `jobs`, `logs`, `cancel`) live in job-verbs.ts. Order is the order of the
 * "Commands:" list in error messages.
 */
import { z } from 'zod';
import { quote } from './echo.ts';
import { JOB_VERB_SPECS } from './job-verbs.ts';
import {
  clusterNameSchema,
  costPeriodSchema,
  keepDurationSchema,
  fingerprintSchema,
  nodeCountSchema,
  publicKeySchema,
  sizeSchema,
} from './schemas.ts';
import { closestMatch } from './suggest.ts';
import { HELP_TOPICS } from './usage.ts';
import type { Slot, VerbSpec } from './verb-spec.ts';

const nodes: Slot = { key: 'nodes', label: 'Node count', noun: 'a node count', required: true };
const optionalName: Slot = { key: 'name', label: 'Cluster name', noun: 'a cluster name', required: false };

/** Verbs that are coming; `/mpi keep` says "not available yet" rather than "unknown". */
export const PLANNED_VERBS: readonly string[] = [];

export const VERB_SPECS: readonly VerbSpec[] = [
  {
    words: ['up'],
    positionals: [nodes, optionalName],
    flags: [
      { key: 'size', names: ['--size'], label: 'Size', value: 'SKU' },
      { key: 'spot', names: ['--spot'], label: 'Spot', value: null },
    ],
    schema: (limits) =>
      z
        .strictObject({
          nodes: nodeCountSchema(limits.maxNodesPerCluster),
          name: clusterNameSchema.nullable(),
          size: sizeSchema.nullable(),
          spot: z.boolean(),
        })
        .transform((args) => ({ verb: 'up' as const, ...args })),
  },
  {
    words: ['resize'],
    positionals: [optionalName, nodes],
    flags: [],
    schema: (limits) =>
      z
        .strictObject({
          name: clusterNameSchema.nullable(),
          nodes: nodeCountSchema(limits.maxNodesPerCluster),
        })
        .transform((args) => ({ verb: 'resize' as const, ...args })),
  },
  {
    words: ['down'],
    positionals: [optionalName],
    flags: [{ key: 'yes', names: ['--yes', '-y'], label: 'Yes', value: null }],
    schema: () =>
      z
        .strictObject({ name: clusterNameSchema.nullable(), yes: z.boolean() })
        .transform((args) => ({ verb: 'down' as const, ...args })),
  },
  {
    words: ['status'],
    positionals: [optionalName],
    flags: [],
    schema: () =>
      z
        .strictObject({ name: clusterNameSchema.nullable() })
        .transform((args) => ({ verb: 'status' as const, ...args })),
  },
  {
    words: ['list'],
    positionals: [],
    flags: [],
    schema: () => z.strictObject({}).transform(() => ({ verb: 'list' as const })),
  },
  {
    words: ['keep'],
    positionals: [
      optionalName,
      { key: 'forMs', label: 'Duration', noun: 'a duration (`2h`) or `tonight`', required: true },
    ],
    flags: [],
    schema: () =>
      z
        .strictObject({ name: clusterNameSchema.nullable(), forMs: keepDurationSchema })
        .transform((args) => ({ verb: 'keep' as const, ...args })),
  },
  {
    words: ['cost'],
    positionals: [{ key: 'period', label: 'Period', noun: 'a period', required: false }],
    flags: [],
    schema: () =>
      z
        .strictObject({ period: costPeriodSchema.nullable() })
        .transform((args) => ({ verb: 'cost' as const, period: args.period ?? ('month' as const) })),
  },
  ...JOB_VERB_SPECS,
  {
    words: ['key', 'add'],
    positionals: [],
    flags: [],
    lineKey: 'key',
    schema: () =>
      z.strictObject({ key: publicKeySchema }).transform((args) => ({ verb: 'key-add' as const, ...args })),
  },
  {
    words: ['key', 'list'],
    positionals: [],
    flags: [],
    schema: () => z.strictObject({}).transform(() => ({ verb: 'key-list' as const })),
  },
  {
    words: ['key', 'rm'],
    positionals: [
      { key: 'fingerprint', label: 'Fingerprint', noun: 'a key fingerprint (`SHA256:…`)', required: true },
    ],
    flags: [],
    schema: () =>
      z
        .strictObject({ fingerprint: fingerprintSchema })
        .transform((args) => ({ verb: 'key-rm' as const, ...args })),
  },
  {
    words: ['help'],
    positionals: [
      { key: 'topic', label: 'Topic', noun: 'a topic', required: false },
      { key: 'subtopic', label: 'Topic', noun: 'a topic', required: false },
    ],
    flags: [],
    schema: () =>
      z
        .strictObject({ topic: z.string().nullable(), subtopic: z.string().nullable() })
        .transform((args, ctx) => {
          const topic = [args.topic, args.subtopic].filter((word) => word !== null).join(' ');
          if (topic === '') return { verb: 'help' as const, topic: null };
          if (HELP_TOPICS.includes(topic)) return { verb: 'help' as const, topic };
          const suggestion = closestMatch(topic, HELP_TOPICS);
          const hint = suggestion ? ` Did you mean \`${suggestion}\`?` : '';
          ctx.issues.push({
            code: 'custom',
            message: `There is no help for ${quote(topic)}.${hint}`,
            input: args,
          });
          return z.NEVER;
        }),
  },
];
