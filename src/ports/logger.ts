/**
 * Structured logging: a static message plus metadata. Never pass secrets as metadata; the
 * adapter redacts what it recognises, but only as a second line of defence.
 */
export interface Logger {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
  /**
   * A logger that writes `bindings` (a cluster or job id, say) on every line, besides each
   * call's metadata. Optional: `withBindings` gives one for any logger.
   */
  child?(bindings: Record<string, string | number>): Logger;
}

/** `logger.child(bindings)`, or for a logger without children one that merges them into metadata. */
export function withBindings(logger: Logger, bindings: Record<string, string | number>): Logger {
  if (logger.child) return logger.child(bindings);
  return {
    debug: (message, meta) => logger.debug(message, { ...bindings, ...meta }),
    info: (message, meta) => logger.info(message, { ...bindings, ...meta }),
    warn: (message, meta) => logger.warn(message, { ...bindings, ...meta }),
    error: (message, meta) => logger.error(message, { ...bindings, ...meta }),
    child: (more) => withBindings(logger, { ...bindings, ...more }),
  };
}
