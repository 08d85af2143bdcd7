import { MpiboxError, isMpiboxError } from '../../domain/errors.ts';

/**
 * Azure's refusals in the one coded error set: `provider`, with the cloud's own code and
 * message (what the user reads), the HTTP status and the step that failed (for the log).
 * A missing resource is `not-found`. Our own errors pass through unchanged.
 */
export function toMpiboxError(error: unknown, step: string): MpiboxError {
  if (isMpiboxError(error)) return error;
  const { code, statusCode, message } = restErrorParts(error);
  if (statusCode === 404 || code === 'ResourceNotFound' || code === 'ResourceGroupNotFound') {
    return new MpiboxError(
      'not-found',
      'resource not found',
      { step, providerCode: code ?? 'NotFound' },
      { cause: error },
    );
  }
  return new MpiboxError(
    'provider',
    'Azure refused',
    {
      step,
      providerCode: code ?? (statusCode ? `HTTP${statusCode}` : 'Unknown'),
      providerMessage: oneLine(message),
      ...(statusCode ? { status: statusCode } : {}),
    },
    { cause: error },
  );
}

/** True for an ARM answer meaning "not there" (a delete of something gone, say). */
export function isNotFound(error: unknown): boolean {
  const { code, statusCode } = restErrorParts(error);
  return statusCode === 404 || code === 'ResourceNotFound' || code === 'ResourceGroupNotFound';
}

/** The parts of a RestError (or a failed long-running operation) we use; permissive. */
function restErrorParts(error: unknown): { code: string | null; statusCode: number | null; message: string } {
  if (typeof error !== 'object' || error === null)
    return { code: null, statusCode: null, message: String(error) };
  const record = error as { code?: unknown; statusCode?: unknown; message?: unknown; details?: unknown };
  // A failed operation's body is `{ error: { code, message } }`; RestError exposes code/message.
  const inner = (record.details as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const code =
    typeof record.code === 'string' ? record.code : typeof inner?.code === 'string' ? inner.code : null;
  const message =
    typeof inner?.message === 'string'
      ? inner.message
      : typeof record.message === 'string'
        ? record.message
        : '';
  const statusCode = typeof record.statusCode === 'number' ? record.statusCode : null;
  // core-lro reports an operation that ended Failed as a plain Error whose text carries
  // Azure's code and message: "The long-running operation has failed. <code>. <message>".
  const failed =
    code === null ? /^The long-running operation has failed\. ([\w.-]+)\. ([\s\S]*)$/.exec(message) : null;
  if (failed) return { code: failed[1] ?? null, statusCode, message: failed[2] ?? '' };
  return { code, statusCode, message };
}

/** Azure messages can span lines and run long; chat gets one line of sensible length. */
function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 400 ? `${flat.slice(0, 399)}…` : flat;
}
