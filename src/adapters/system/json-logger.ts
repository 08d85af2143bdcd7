import type { Logger } from '../../ports/logger.ts';

type Level = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Key names whose values never reach a log line, whatever the caller passes. */
const SECRET_KEYS = /token|secret|password|private|sas|signature|authorization/i;

/** One JSON object per line on the given stream (stderr by default, so stdout stays the chat). */
export class JsonLogger implements Logger {
  readonly #minimum: number;
  readonly #write: (line: string) => void;

  constructor(level: Level, write: (line: string) => void = (line) => process.stderr.write(line)) {
    this.#minimum = RANK[level];
    this.#write = write;
  }

  debug(message: string, meta?: Record<string, unknown>): void {
    this.#log('debug', message, meta);
  }
  info(message: string, meta?: Record<string, unknown>): void {
    this.#log('info', message, meta);
  }
  warn(message: string, meta?: Record<string, unknown>): void {
    this.#log('warn', message, meta);
  }
  error(message: string, meta?: Record<string, unknown>): void {
    this.#log('error', message, meta);
  }

  #log(level: Level, message: string, meta: Record<string, unknown> = {}): void {
    if (RANK[level] < this.#minimum) return;
    const line = { time: new Date().toISOString(), level, message, ...redact(meta) };
    this.#write(`${JSON.stringify(line)}\n`);
  }
}

/** Drops secret-looking fields and private-key text from log metadata. */
export function redact(meta: Record<string, unknown>): Record<string, unknown> {
  const clean: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta)) {
    if (SECRET_KEYS.test(key)) clean[key] = '[redacted]';
    else if (typeof value === 'string' && /PRIVATE KEY|xox[abpr]-|xapp-|[?&]sig=/.test(value))
      clean[key] = '[redacted]';
    else if (value instanceof Error) clean[key] = value.message;
    else clean[key] = value;
  }
  return clean;
}
