import { pino, type Logger as Pino } from 'pino';
import type { Logger } from '../../ports/logger.ts';
import { scrubFields, type ScrubOptions } from './secret-scrubber.ts';
import { jsonEscapedSecrets, prepareSecrets, REDACTED, scrubText } from '../../domain/secret-text.ts';

type Level = 'debug' | 'info' | 'warn' | 'error';

/** Keys of every line; metadata of the same name is written as `meta.<key>` instead. */
const RESERVED = new Set(['level', 'message', 'time']);

/**
 * Exact paths pino censors itself, a second lock behind the deep scrub of `formatters.log`
 * (which already censors secret-named keys at any depth, in any case, and secret-looking text).
 */
const REDACT_PATHS = [
  'token',
  'botToken',
  'appToken',
  'signingSecret',
  'password',
  'privateKey',
  'authorization',
  'connectionString',
  'accountKey',
  'cookie',
  'headers.authorization',
  'headers.Authorization',
  'headers.cookie',
  'request.headers.authorization',
];

/** A `Logger` over a pino instance: the message and metadata go through its formatters. */
class PinoLogger implements Logger {
  readonly #pino: Pino<never, boolean>;
  readonly #scrub: ScrubOptions;

  constructor(instance: Pino<never, boolean>, scrub: ScrubOptions) {
    this.#pino = instance;
    this.#scrub = scrub;
  }

  debug(message: string, meta?: Record<string, unknown>): void {
    if (this.#pino.isLevelEnabled('debug')) this.#pino.debug({ message, meta });
  }
  info(message: string, meta?: Record<string, unknown>): void {
    if (this.#pino.isLevelEnabled('info')) this.#pino.info({ message, meta });
  }
  warn(message: string, meta?: Record<string, unknown>): void {
    if (this.#pino.isLevelEnabled('warn')) this.#pino.warn({ message, meta });
  }
  error(message: string, meta?: Record<string, unknown>): void {
    if (this.#pino.isLevelEnabled('error')) this.#pino.error({ message, meta });
  }

  /**
   * Bindings (scrubbed like metadata) are written on every line, right after `level`. They are
   * scrubbed here, once: pino applies `formatters.bindings` to the root logger's only.
   */
  child(bindings: Record<string, string | number>): Logger {
    return new PinoLogger(this.#pino.child(renameReserved(scrubFields(bindings, this.#scrub))), this.#scrub);
  }
}

/**
 * One JSON object per line on the given stream (stderr by default, so stdout stays the chat):
 * `{"level":"info",…bindings,"message":"…","time":"<ISO>",…metadata}`. No secret reaches a
 * line: see `scrubFields` and `scrubText`, plus the exact `knownSecrets` (the bot's tokens).
 */
export class JsonLogger extends PinoLogger {
  constructor(
    level: Level,
    write: (line: string) => void = (line) => process.stderr.write(line),
    knownSecrets: readonly string[] = [],
  ) {
    const scrub = { knownSecrets: prepareSecrets(knownSecrets), withStacks: level === 'debug' };
    super(createPino(level, write, scrub), scrub);
  }

  /** A logger that also replaces these exact values (config tokens, signing secret) anywhere. */
  static withSecrets(
    level: Level,
    knownSecrets: readonly (string | null | undefined)[],
    write?: (line: string) => void,
  ): JsonLogger {
    return new JsonLogger(
      level,
      write,
      knownSecrets.filter((secret): secret is string => typeof secret === 'string'),
    );
  }
}

function createPino(level: Level, write: (line: string) => void, scrub: ScrubOptions) {
  const escaped = jsonEscapedSecrets(scrub.knownSecrets);
  return pino(
    {
      level,
      base: null, // no pid or hostname on every line
      messageKey: 'message',
      // The time is written by `formatters.log`, after the message: pino would put it between
      // `level` and `message`, and readers match `"level":"error","message":"…"`.
      timestamp: false,
      // Errors are made safe by `formatters.log`; pino's own `err` serializer would copy every
      // property of one (an SDK error's request headers) back in.
      serializers: { err: (value: unknown) => value },
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => {
          const { message, meta } = object as { message: string; meta?: Record<string, unknown> };
          return {
            message: scrubText(message, scrub.knownSecrets),
            time: new Date().toISOString(),
            ...renameReserved(scrubFields(meta ?? {}, scrub)),
          };
        },
      },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      hooks: {
        // Last pass over the finished line: a known secret escaped inside a JSON string.
        streamWrite: (line) => escaped.reduce((clean, secret) => clean.replaceAll(secret, REDACTED), line),
      },
    },
    { write },
  );
}

function renameReserved(fields: Record<string, unknown>): Record<string, unknown> {
  const renamed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) renamed[RESERVED.has(key) ? `meta.${key}` : key] = value;
  return renamed;
}
