import { describe, expect, it } from 'vitest';
import { MpiboxError } from '../../domain/errors.ts';
import type { Logger } from '../../ports/logger.ts';
import { leaksIn, makeBotSecrets, makeSecretCatalogue } from '../../../test/support/secret-catalogue.ts';
import { JsonLogger } from './json-logger.ts';

type Level = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Level[] = ['debug', 'info', 'warn', 'error'];

function capture(make: (write: (line: string) => void) => JsonLogger) {
  const lines: string[] = [];
  const logger = make((line) => void lines.push(line));
  return { logger, lines, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('JsonLogger', () => {
  it('writes one JSON object per line: level by name, message, ISO time, metadata at the top level', () => {
    const { logger, lines, parsed } = capture((write) => new JsonLogger('info', write));

    logger.info('cluster created', { clusterId: 'cl-1', nodes: 2, tags: ['a'] });
    logger.error('cluster delete failed', { clusterId: 'cl-1' });

    expect(lines.every((line) => line.endsWith('}\n') && !line.slice(0, -1).includes('\n'))).toBe(true);
    expect(lines[1]).toMatch(/^\{"level":"error","message":"cluster delete failed","time":"/);
    const [created] = parsed();
    expect(created).toEqual({
      level: 'info',
      message: 'cluster created',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      clusterId: 'cl-1',
      nodes: 2,
      tags: ['a'],
    });
  });

  it('writes nothing below its level', () => {
    const { logger, parsed } = capture((write) => new JsonLogger('warn', write));

    for (const level of LEVELS) logger[level](`${level} line`, {});

    expect(parsed().map((line) => line.level)).toEqual(['warn', 'error']);
  });

  it('writes a child’s bindings on each of its lines, and not on its parent’s', () => {
    const { logger, parsed } = capture((write) => new JsonLogger('debug', write));

    const cluster = logger.child({ clusterId: 'cl-42' });
    const job = cluster.child!({ jobId: 7 });
    job.info('job started', { pid: 99 });
    cluster.warn('cluster card update failed');
    logger.info('mpibox stopping', {});

    expect(parsed()).toMatchObject([
      { level: 'info', clusterId: 'cl-42', jobId: 7, message: 'job started', pid: 99 },
      { level: 'warn', clusterId: 'cl-42', message: 'cluster card update failed' },
      { level: 'info', message: 'mpibox stopping' },
    ]);
    expect(parsed()[2]).not.toHaveProperty('clusterId');
  });

  it('keeps an error’s name, message, code, fields and cause; its stack only when logging at debug', () => {
    const error = new MpiboxError(
      'timeout',
      'nodes did not become ready',
      { nodes: 2, waitedInMs: 120_000 },
      {
        cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:22'), { code: 'ECONNREFUSED' }),
      },
    );
    const atInfo = capture((write) => new JsonLogger('info', write));
    const atDebug = capture((write) => new JsonLogger('debug', write));

    atInfo.logger.warn('cluster creation failed', { clusterId: 'cl-1', error });
    atDebug.logger.warn('cluster creation failed', { clusterId: 'cl-1', error });

    expect(atInfo.parsed()[0]!.error).toEqual({
      name: 'MpiboxError',
      message: 'nodes did not become ready',
      code: 'timeout',
      fields: { nodes: 2, waitedInMs: 120_000 },
      cause: { name: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:22', code: 'ECONNREFUSED' },
    });
    expect(atDebug.parsed()[0]!.error).toMatchObject({
      stack: expect.stringMatching(/^MpiboxError: nodes did not become ready\n +at /),
      cause: { stack: expect.stringMatching(/^Error: connect ECONNREFUSED/) },
    });
  });

  it('writes metadata named like a line’s own keys under `meta.`, and copes with cycles and odd values', () => {
    const { logger, parsed } = capture((write) => new JsonLogger('info', write));
    const loop: Record<string, unknown> = { name: 'loop' };
    loop.self = loop;

    logger.warn('chart library warning', {
      level: 'verbose',
      message: 'not the message',
      loop,
      size: 10n,
      at: new Date(0),
      bytes: Buffer.from('secret bytes'),
      sizes: new Set(['a']),
    });

    expect(parsed()[0]).toMatchObject({
      level: 'warn',
      message: 'chart library warning',
      'meta.level': 'verbose',
      'meta.message': 'not the message',
      loop: { name: 'loop', self: '[circular]' },
      size: '10',
      at: '1970-01-01T00:00:00.000Z',
      bytes: '[12 bytes]',
      sizes: ['a'],
    });
  });

  it('leaves the caller’s metadata as it was', () => {
    const { logger } = capture((write) => new JsonLogger('info', write));
    const meta = { token: 'xoxb-1-2-abc', nested: { password: 'hunter22' } };

    logger.info('login', meta);

    expect(meta).toEqual({ token: 'xoxb-1-2-abc', nested: { password: 'hunter22' } });
  });

  it('leaves ordinary text alone: ids, paths, public keys, fingerprints, URLs without a SAS', () => {
    const { logger, parsed } = capture((write) => new JsonLogger('debug', write));
    const ordinary = {
      clusterId: 'cl-42',
      resourceGroup:
        '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/mpibox-demo-3f2a/providers/Microsoft.Compute/virtualMachineScaleSets/mpibox-demo',
      file: '/var/lib/mpibox/clusters/cl-42/machinefile',
      publicKey:
        'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@laptop',
      fingerprint: 'SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8',
      url: 'https://prices.azure.com/api/retail/prices?currencyCode=USD&$filter=armRegionName%20eq%20%27eastus%27',
      stderr: 'mpirun: signal 9 received; see the job log',
    };

    logger.info('orphaned cluster found', ordinary);

    expect(parsed()[0]).toMatchObject(ordinary);
  });
});

describe('JsonLogger redaction', () => {
  const bot = makeBotSecrets();
  const catalogue = makeSecretCatalogue(bot);
  const knownSecrets = [bot.botToken, bot.appToken, bot.signingSecret];
  const logAt = (logger: Logger, level: Level, meta: Record<string, unknown>) =>
    logger[level]('cluster call failed', { clusterId: 'cl-42', ...meta });
  /** Every way a value can reach a line. */
  const PLACEMENTS: [string, (logger: Logger, level: Level, value: string) => void][] = [
    ['top-level metadata', (logger, level, value) => logAt(logger, level, { detail: value })],
    [
      'secret-named keys',
      (logger, level, value) =>
        logAt(logger, level, {
          botToken: value,
          request: { headers: { Authorization: value, Cookie: value } },
        }),
    ],
    [
      'nested metadata',
      (logger, level, value) =>
        logAt(logger, level, { request: { body: { note: `output:\n${value}\nend` } } }),
    ],
    [
      'arrays',
      (logger, level, value) => logAt(logger, level, { lines: ['first', value, { text: value }, [value]] }),
    ],
    [
      'JSON inside a string',
      (logger, level, value) => logAt(logger, level, { body: JSON.stringify({ value }) }),
    ],
    [
      'an Error message',
      (logger, level, value) => logAt(logger, level, { error: new Error(`request failed: ${value}`) }),
    ],
    [
      'an Error cause chain',
      (logger, level, value) =>
        logAt(logger, level, {
          error: new Error('outer', { cause: new Error('middle', { cause: new Error(`inner ${value}`) }) }),
        }),
    ],
    [
      'MpiboxError fields',
      (logger, level, value) =>
        logAt(logger, level, {
          error: new MpiboxError('provider', `the provider said ${value}`, {
            output: value,
            clusterId: 'cl-42',
          }),
        }),
    ],
    [
      'an AggregateError',
      (logger, level, value) =>
        logAt(logger, level, { error: new AggregateError([new Error(value)], 'several') }),
    ],
    ['a Map', (logger, level, value) => logAt(logger, level, { settings: new Map([['note', value]]) })],
    [
      'child bindings',
      (logger, level, value) =>
        logger.child!({ clusterId: 'cl-42', note: value })[level]('cluster call failed'),
    ],
    [
      'the message itself',
      (logger, level, value) => logger[level](`cluster call failed ${value}`, { clusterId: 'cl-42' }),
    ],
  ];

  function logEverywhere(logger: Logger, value: string): void {
    for (const level of LEVELS) for (const [, place] of PLACEMENTS) place(logger, level, value);
  }

  it.each(catalogue.map((sample) => [sample.name, sample] as const))(
    'finds no %s in any line, at any level, however it is passed',
    (_, sample) => {
      const known = capture((write) => JsonLogger.withSecrets('debug', knownSecrets, write));
      // Without known secrets, only a signing secret (32 hex characters, like any hash) can pass.
      const unknown = capture((write) => new JsonLogger('debug', write));

      logEverywhere(known.logger, sample.value);
      if (sample.name !== 'Slack signing secret') logEverywhere(unknown.logger, sample.value);

      const output = [...known.lines, ...unknown.lines].join('');
      expect(leaksIn(sample.value, [sample]), 'the sample has secret parts').not.toEqual([]);
      expect(leaksIn(output, [sample])).toEqual([]);
      expect(known.lines).toHaveLength(LEVELS.length * PLACEMENTS.length);
      for (const line of [...known.parsed(), ...unknown.parsed()]) {
        expect(line.message).toMatch(/^cluster call failed/);
        expect(JSON.stringify(line)).toContain('cl-42');
      }
      for (const part of sample.publicParts) expect(output).toContain(part);
    },
  );
});
