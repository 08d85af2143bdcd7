import { findPrivateKeyBodies } from './key-body.ts';

/** What stands in for a secret in a log line. */
export const REDACTED = '[redacted]';

/** Known secrets shorter than this are not searched for: replacing them would shred ordinary text. */
const MIN_KNOWN_SECRET_CHARS = 8;

/**
 * Secrets recognised by their shape, each with its replacement. Order matters: armoured keys go
 * before the headerless scan, connection strings before the bare `sig=` rule.
 */
const SHAPES: readonly [RegExp, string | ((...match: string[]) => string)][] = [
  // PEM and OpenSSH private keys; a block cut off before its END line is redacted to the end.
  [/-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?(?:-----END ([A-Z0-9]+ )*PRIVATE KEY-----|$)/g, REDACTED],
  [/PuTTY-User-Key-File-[\s\S]*?(?:Private-MAC:\s*[0-9a-fA-F]*|$)/g, REDACTED],
  // Azure Storage / Service Bus connection strings: the key or SAS runs to the next `;`.
  [
    /\b(AccountKey|SharedAccessKey|SharedAccessSignature|Password|Pwd)=[^;\s"'<>]*/gi,
    (_, name: string) => `${name}=${REDACTED}`,
  ],
  // A URL carrying a SAS (its `sig=`): the whole query string goes, it says what the SAS grants.
  // (No `?` inside a query, so that each scan stops at the next one: linear on any text.)
  [
    /\?([^\s?#"'<>]*)/g,
    (whole: string, query: string) => (/(?:^|&)sig(?:=|%3D)/i.test(query) ? `?${REDACTED}` : whole),
  ],
  // A bare SAS query string (`se=…&sp=…&sig=…`): its signature is the secret part.
  [/\b(sig|signature)(=|%3D)[^&\s"'<>;,]+/gi, (_, name: string, eq: string) => `${name}${eq}${REDACTED}`],
  [/\bSharedKey(Lite)? +[^\s:"']+:[A-Za-z0-9+/=]+/g, `SharedKey ${REDACTED}`],
  // Slack: bot/user/refresh tokens (xoxb-, xoxp-, xoxe.xoxp-, …), app-level tokens, webhooks.
  [/xox[a-z](?:\.xox[a-z])?-[A-Za-z0-9-]+/g, REDACTED],
  [/xapp-[A-Za-z0-9-]+/g, REDACTED],
  [
    /(hooks\.slack\.com\/(?:services|workflows|triggers)\/)[^\s"'<>]+/g,
    (_, head: string) => `${head}${REDACTED}`,
  ],
  // OAuth bearer tokens and bare JWTs (Azure AD access tokens, say).
  [/\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/gi, `Bearer ${REDACTED}`],
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // `password=…`, `"client_secret": "…"` inside free text (an error quoting a request, say).
  [
    /\b((?:client[_-]?)?secret|password|passwd|api[_-]?key|access[_-]?token|refresh[_-]?token|token)(["']?\s*[:=]\s*["']?)(?!\[redacted\])[^\s"',;&}]+/gi,
    (_, name: string, separator: string) => `${name}${separator}${REDACTED}`,
  ],
];

/**
 * The known secrets worth searching for, longest first (so a secret containing another goes
 * whole), without repeats.
 */
export function prepareSecrets(knownSecrets: readonly string[]): string[] {
  return [...new Set(knownSecrets)]
    .filter((secret) => secret.length >= MIN_KNOWN_SECRET_CHARS)
    .sort((a, b) => b.length - a.length);
}

/**
 * `text` with every secret it holds replaced by `[redacted]`: the exact `knownSecrets` (the
 * bot's own tokens, from `prepareSecrets`), and anything shaped like a private key (armoured or
 * a bare base64 body), a SAS, a storage connection string, a Slack token, a bearer token or a
 * JWT.
 */
export function scrubText(text: string, knownSecrets: readonly string[] = []): string {
  let clean = text;
  for (const secret of knownSecrets) clean = clean.replaceAll(secret, REDACTED);
  for (const [pattern, replacement] of SHAPES) {
    clean = clean.replace(pattern, replacement as (...match: string[]) => string);
  }
  return removeKeyBodies(clean);
}

/**
 * Private key bodies pasted without their BEGIN/END lines (see domain/key-body.ts), also when
 * quoted in JSON text (an error quoting a request body): its `\n` escapes are read as line
 * breaks, two characters for two, so the offsets found are the original text's.
 */
function removeKeyBodies(text: string): string {
  const spans = findPrivateKeyBodies(text.replace(/\\[nr]/g, ' \n'));
  let clean = text;
  for (const span of spans.reverse()) {
    clean = `${clean.slice(0, span.start)}${REDACTED}${clean.slice(span.end)}`;
  }
  return clean;
}

/**
 * Prepared known secrets as they appear inside a JSON string (quotes and backslashes escaped),
 * for a last pass over a finished log line.
 */
export function jsonEscapedSecrets(prepared: readonly string[]): string[] {
  return prepared.map((secret) => JSON.stringify(secret).slice(1, -1));
}
