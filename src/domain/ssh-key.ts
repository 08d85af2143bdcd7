/**
 * OpenSSH public keys as users paste them into `/mpi key add`. Pure: the only import is
 * node:crypto for the SHA-256 fingerprint. Everything accepted here ends up verbatim in
 * authorized_keys files on every node, so the rules are strict: one line, a known key type,
 * a blob that decodes exactly, no options, a comment of harmless characters only.
 *
 * Over 300 lines on purpose: the parser, its wire-format reader and the private-key detector
 * are one rule set ("what may be pasted as a key"), and the detector's patterns only make
 * sense next to the formats they guard against. Bodies pasted without their armour are
 * recognised by decoding them, in key-body.ts.
 */
import { createHash } from 'node:crypto';
import { findPrivateKeyBodies } from './key-body.ts';

/** A validated public key, ready to store and to write into authorized_keys. */
export interface PublicKey {
  /** Key type as declared and embedded in the blob, e.g. `ssh-ed25519`. */
  type: string;
  /** Key size in bits, as `ssh-keygen -l` reports it (256 for ed25519). */
  bits: number;
  /** The key blob, base64 with padding, exactly as pasted. */
  base64: string;
  /** The comment (often `user@host`); empty when none was given. */
  comment: string;
  /** `SHA256:<base64 of sha256(blob), unpadded>`, identical to `ssh-keygen -lf`. */
  fingerprint: string;
  /** Normalised authorized_keys line: `<type> <base64>` plus ` <comment>` if any. */
  authorizedKeysLine: string;
}

/** Why a pasted key was refused. */
export type PublicKeyProblem =
  | 'empty' // nothing pasted
  | 'too-long' // longer than any key we accept
  | 'private-key' // a private key (or a piece of one) was pasted
  | 'multiple-lines' // more than one line
  | 'control-characters' // NUL or other control characters
  | 'options-prefix' // authorized_keys options such as command="..." before the type
  | 'weak-type' // ssh-dss
  | 'unknown-type' // a type we do not accept
  | 'missing-key-data' // the type without a base64 blob
  | 'invalid-base64' // the blob is not canonical base64
  | 'type-mismatch' // the blob's embedded type differs from the declared one
  | 'truncated' // a length field runs past the end of the blob
  | 'trailing-data' // bytes left over after the key
  | 'invalid-key-data' // the fields decode but do not form a valid key
  | 'key-too-small' // RSA under 2048 bits
  | 'key-too-large' // RSA over 16384 bits
  | 'bad-comment'; // comment with characters outside the allowed set, or too long

export type PublicKeyResult =
  { ok: true; key: PublicKey } | { ok: false; reason: PublicKeyProblem; message: string };

const REDACTED = '[redacted private key]';
const MAX_LINE_CHARS = 8192; // a 16384-bit RSA line is about 2,800 characters
const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 16384;
const COMMENT_PATTERN = /^[A-Za-z0-9@._+:=-]{1,100}$/;
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const PRIVATE_KEY_MESSAGE =
  'That looks like a PRIVATE key, so it was NOT stored. Treat that key as exposed: generate a new ' +
  'pair (`ssh-keygen -t ed25519`) and paste the contents of the `.pub` file instead.';

/*
 * Armour lines (PEM, OpenSSH, PGP, ssh.com) are always uppercase. Every pattern has bounded
 * repeats or a `(?<!-)` guard, so scanning long hostile input stays linear.
 */
const BEGIN_LINE = /(?<!-)-{3,}\s{0,4}BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY[A-Z ]{0,10}-{3,}/;
const END_LINE = /(?<!-)-{2,}\s{0,4}END [A-Z0-9 ]{0,40}PRIVATE KEY[A-Z ]{0,10}-*/;
/**
 * Markers from which everything to the end of the text is redacted: a header or part of one,
 * PuTTY files, and the first bytes of common private key bodies.
 */
const PRIVATE_FRAGMENTS: readonly RegExp[] = [
  /BEGIN[A-Z0-9 -]{0,40}PRIVATE\s{0,4}KEY/,
  /PRIVATE KEY(?: BLOCK)?\s{0,4}-{2,}/,
  /PuTTY-User-Key-File/i,
  /Private-(?:Lines|MAC)\s{0,4}:/i,
  /Proc-Type:\s{0,4}4,\s{0,4}ENCRYPTED/i, // the headers of an encrypted PEM body
  /DEK-Info:\s{0,4}[A-Z0-9-]{3,40},\s{0,4}[0-9A-F]{16}/i,
  /b3BlbnNzaC1rZXktdjE/, // base64 of "openssh-key-v1\0", the OpenSSH private key magic
  /MII[A-Za-z0-9+/]{3}IB(?:AAKC|ADAN)/, // DER RSA bodies, PKCS#1 and PKCS#8
  /MI[A-Za-z0-9+/]{2}AgEAMB[A-Za-z0-9+/]GByqGSM49/, // DER EC PKCS#8 bodies
  /MC4CAQAwBQYDK2Vw/, // DER Ed25519 PKCS#8 body
  /M(?:HcCAQEEI|IGkAgEBBD|IHcAgEBBEI)/, // DER SEC1 EC bodies, P-256/384/521
  /BgkqhkiG9w0BBQ0w/, // DER PBES2 identifier that opens encrypted PKCS#8 bodies
];
const TOKEN_CHAR = /[A-Za-z0-9+/=-]/;

/** True when `text` contains a private key, a private key header, or a recognisable piece of one. */
export function isPrivateKeyMaterial(text: string): boolean {
  return redactSecrets(text) !== text;
}

/**
 * Replaces private key material with `[redacted private key]`: whole BEGIN…END blocks, an END
 * line with the base64 lines before it, runs of base64 lines that decode to a private key (a
 * body pasted without its armour), and from any header or fragment to the end of the text.
 * Used before command text reaches the audit log.
 */
export function redactSecrets(text: string): string {
  const result = redactBodies(redactOrphanEnds(redactBlocks(text)));
  let cut = -1;
  for (const pattern of PRIVATE_FRAGMENTS) {
    const index = result.search(pattern);
    if (index >= 0 && (cut < 0 || index < cut)) cut = index;
  }
  if (cut < 0) return result;
  while (cut > 0 && TOKEN_CHAR.test(result[cut - 1]!)) cut -= 1; // the whole token goes
  return result.slice(0, cut) + REDACTED;
}

function redactBlocks(text: string): string {
  const begins = new RegExp(BEGIN_LINE, 'g');
  const ends = new RegExp(END_LINE, 'g');
  let result = '';
  let kept = 0;
  for (let begin = begins.exec(text); begin; begin = begins.exec(text)) {
    ends.lastIndex = begins.lastIndex;
    const end = ends.exec(text);
    if (!end) break; // no END after this BEGIN, so none after a later one: the fragment pass cuts
    result += text.slice(kept, begin.index) + REDACTED;
    kept = ends.lastIndex;
    begins.lastIndex = kept;
  }
  return result + text.slice(kept);
}

function redactBodies(text: string): string {
  let result = '';
  let kept = 0;
  for (const body of findPrivateKeyBodies(text)) {
    result += text.slice(kept, body.start) + REDACTED;
    kept = body.end;
  }
  return result + text.slice(kept);
}

function redactOrphanEnds(text: string): string {
  const ends = new RegExp(END_LINE, 'g');
  let result = '';
  let kept = 0;
  for (let end = ends.exec(text); end; end = ends.exec(text)) {
    result += text.slice(kept, startOfBody(text, end.index, kept)) + REDACTED;
    kept = ends.lastIndex;
  }
  return result + text.slice(kept);
}

/** Walks back from `end`, not past `floor`, over whitespace-separated base64 lines of 16+ chars. */
function startOfBody(text: string, end: number, floor: number): number {
  let start = end;
  for (;;) {
    let lineEnd = start;
    while (lineEnd > floor && /\s/.test(text[lineEnd - 1]!)) lineEnd -= 1;
    let lineStart = lineEnd;
    while (lineStart > floor && /[A-Za-z0-9+/=]/.test(text[lineStart - 1]!)) lineStart -= 1;
    if (lineEnd - lineStart < 16) return start;
    start = lineStart;
  }
}

/** Parses one `<type> <base64> [comment]` line as found in an OpenSSH `.pub` file. */
export function parsePublicKey(text: string): PublicKeyResult {
  if (isPrivateKeyMaterial(text)) return fail('private-key', PRIVATE_KEY_MESSAGE);
  const line = text.trim();
  if (line === '')
    return fail('empty', 'Paste the one line of your `.pub` file, e.g. `ssh-ed25519 AAAA… you@laptop`.');
  if (line.length > MAX_LINE_CHARS)
    return fail('too-long', 'That is far longer than any public key line we accept.');
  if (/[\n\r\u0085\u2028\u2029]/.test(line)) {
    return fail('multiple-lines', 'Paste exactly one key: a single line `<type> <base64> [comment]`.');
  }
  if (/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(line)) {
    return fail(
      'control-characters',
      'The key contains control characters; paste the `.pub` file as plain text.',
    );
  }
  const [type = '', base64, ...commentWords] = line.split(/[ \t]+/);
  const typeProblem = checkType(type, line);
  if (typeProblem) return typeProblem;
  if (base64 === undefined)
    return fail('missing-key-data', `The \`${type}\` key has no key data after the type.`);
  const blob = decodeBase64(base64);
  if (blob === null)
    return fail('invalid-base64', 'The key data is not valid base64; paste the `.pub` line unchanged.');
  const decoded = decodeBlob(type, blob);
  if (!decoded.ok) return decoded;
  const comment = commentWords.join(' ');
  if (comment !== '' && !COMMENT_PATTERN.test(comment)) {
    return fail(
      'bad-comment',
      'The key comment may only use letters, digits and `@._+:=-`, no spaces, at most 100 characters. ' +
        'Edit or drop the comment at the end of the line.',
    );
  }
  return {
    ok: true,
    key: {
      type,
      bits: decoded.bits,
      base64,
      comment,
      fingerprint: 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, ''),
      authorizedKeysLine: comment === '' ? `${type} ${base64}` : `${type} ${base64} ${comment}`,
    },
  };
}

type BlobResult = { ok: true; bits: number } | { ok: false; reason: PublicKeyProblem; message: string };

/** What each accepted type's blob holds after the embedded type string. */
const KEY_LAYOUTS: Readonly<Record<string, (reader: BlobReader) => number>> = {
  'ssh-ed25519': (reader) => readEd25519(reader),
  'sk-ssh-ed25519@openssh.com': (reader) => {
    const bits = readEd25519(reader);
    reader.string(); // application, e.g. "ssh:"
    return bits;
  },
  'ecdsa-sha2-nistp256': (reader) => readEcdsa(reader, 256),
  'ecdsa-sha2-nistp384': (reader) => readEcdsa(reader, 384),
  'ecdsa-sha2-nistp521': (reader) => readEcdsa(reader, 521),
  'sk-ecdsa-sha2-nistp256@openssh.com': (reader) => {
    const bits = readEcdsa(reader, 256);
    reader.string(); // application
    return bits;
  },
  'ssh-rsa': (reader) => readRsa(reader),
};

export const ACCEPTED_KEY_TYPES: readonly string[] = Object.keys(KEY_LAYOUTS);

function checkType(type: string, line: string): PublicKeyResult | null {
  if (Object.hasOwn(KEY_LAYOUTS, type)) return null;
  if (type === 'ssh-dss') {
    return fail('weak-type', 'DSA (`ssh-dss`) keys are too weak and not accepted; generate an ed25519 key.');
  }
  if (
    /=|^(?:no-|restrict$|cert-authority$)/i.test(type) ||
    ACCEPTED_KEY_TYPES.some((t) => line.includes(` ${t} `))
  ) {
    return fail(
      'options-prefix',
      'authorized_keys options (like `command=` or `from=`) are not allowed; paste just `<type> <base64> [comment]`.',
    );
  }
  return fail('unknown-type', `Unsupported key type; use one of: ${ACCEPTED_KEY_TYPES.join(', ')}.`);
}

function decodeBase64(text: string): Buffer | null {
  if (text.length === 0 || !BASE64_PATTERN.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  // Canonical only: re-encoding must give the same text (rejects stray bits in the padding).
  return bytes.toString('base64') === text ? bytes : null;
}

function decodeBlob(type: string, blob: Buffer): BlobResult {
  const reader = new BlobReader(blob);
  try {
    const embedded = reader.string().toString('latin1');
    if (embedded !== type) {
      return fail('type-mismatch', `The key data is for a different key type than the declared \`${type}\`.`);
    }
    const bits = KEY_LAYOUTS[type]!(reader);
    if (!reader.atEnd())
      return fail(
        'trailing-data',
        'The key data has extra bytes after the key; paste the `.pub` line unchanged.',
      );
    if (type === 'ssh-rsa' && bits < MIN_RSA_BITS) {
      return fail(
        'key-too-small',
        `This RSA key has ${bits} bits; at least ${MIN_RSA_BITS} are required (better: ed25519).`,
      );
    }
    if (type === 'ssh-rsa' && bits > MAX_RSA_BITS) {
      return fail('key-too-large', `This RSA key has ${bits} bits; at most ${MAX_RSA_BITS} are accepted.`);
    }
    return { ok: true, bits };
  } catch (error) {
    if (error instanceof BlobError) return fail(error.reason, error.message);
    throw error;
  }
}

function readEd25519(reader: BlobReader): number {
  if (reader.string().length !== 32)
    throw new BlobError('invalid-key-data', 'The ed25519 key is not 32 bytes long.');
  return 256;
}

function readEcdsa(reader: BlobReader, bits: number): number {
  const curve = reader.string().toString('latin1');
  if (curve !== `nistp${bits}`)
    throw new BlobError('type-mismatch', 'The ECDSA curve inside the key does not match its type.');
  const point = reader.string();
  // Uncompressed point: 0x04 then X and Y, each ceil(bits / 8) bytes.
  if (point.length !== 1 + 2 * Math.ceil(bits / 8) || point[0] !== 0x04) {
    throw new BlobError('invalid-key-data', 'The ECDSA public point is malformed.');
  }
  return bits;
}

function readRsa(reader: BlobReader): number {
  const exponent = reader.mpint();
  const modulus = reader.mpint();
  if (exponent.length === 0 || modulus.length === 0)
    throw new BlobError('invalid-key-data', 'The RSA key is malformed.');
  // The first byte is non-zero after mpint(), so bits = 8 * (length - 1) + bit length of that byte.
  return 8 * (modulus.length - 1) + (32 - Math.clz32(modulus[0]!));
}

class BlobError extends Error {
  readonly reason: PublicKeyProblem;

  constructor(reason: PublicKeyProblem, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** Reads SSH wire-format fields (RFC 4251 §5); every length is checked against the end. */
class BlobReader {
  readonly #bytes: Buffer;
  #offset = 0;

  constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }

  string(): Buffer {
    if (this.#offset + 4 > this.#bytes.length) throw truncated();
    const length = this.#bytes.readUInt32BE(this.#offset);
    const start = this.#offset + 4;
    if (length > this.#bytes.length - start) throw truncated();
    this.#offset = start + length;
    return this.#bytes.subarray(start, start + length);
  }

  /** A non-negative mpint, returned without leading zero bytes. */
  mpint(): Buffer {
    const bytes = this.string();
    if (bytes.length > 0 && (bytes[0]! & 0x80) !== 0)
      throw new BlobError('invalid-key-data', 'The RSA key has a negative number.');
    let start = 0;
    while (start < bytes.length && bytes[start] === 0) start += 1;
    return bytes.subarray(start);
  }

  atEnd(): boolean {
    return this.#offset === this.#bytes.length;
  }
}

function truncated(): BlobError {
  return new BlobError('truncated', 'The key data is cut short; paste the whole `.pub` line.');
}

function fail(
  reason: PublicKeyProblem,
  message: string,
): { ok: false; reason: PublicKeyProblem; message: string } {
  return { ok: false, reason, message };
}
