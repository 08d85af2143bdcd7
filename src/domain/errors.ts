/**
 * The one coded error set of mpibox. A `code` says what went wrong; `fields` carry the data
 * the user-facing sentence needs. services/explain.ts is the single place that turns these
 * into words for chat; logs get the code and fields.
 */
export type ErrorCode =
  | 'bad-input' // the command or its arguments are malformed (message says how)
  | 'not-found' // a named cluster, key or job does not exist
  | 'ambiguous' // a name was omitted but the channel has zero or several clusters
  | 'conflict' // the name is taken, or the cluster is in a state that forbids the verb
  | 'forbidden' // the caller is neither the owner nor an admin (or the bot may not post there)
  | 'quota' // the request exceeds a configured limit
  | 'unsupported' // the provider cannot do this verb or option
  | 'provider' // the cloud (or local node) failed
  | 'timeout' // waiting for something took longer than allowed
  | 'internal'; // a bug: logged with details, shown to the user as an apology

export class MpiboxError extends Error {
  readonly code: ErrorCode;
  readonly fields: Readonly<Record<string, string | number | boolean>>;

  constructor(
    code: ErrorCode,
    message: string,
    fields: Record<string, string | number | boolean> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MpiboxError';
    this.code = code;
    this.fields = fields;
  }
}

export function isMpiboxError(error: unknown): error is MpiboxError {
  return error instanceof MpiboxError;
}

/** The chat refused a post because the bot is not in (or cannot post to) the channel. */
export function isBotNotInChannel(error: unknown): boolean {
  return isMpiboxError(error) && error.fields.botNotInChannel === true;
}
