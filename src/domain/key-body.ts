/**
 * Private key bodies pasted without their armour: runs of base64 lines whose bytes are a DER
 * private key (PKCS#1 RSA, DSA, SEC1 EC, PKCS#8, encrypted PKCS#8) or an OpenSSH private key
 * file, whole or with its first lines missing. Pure; the bytes are decoded and their structure
 * checked, so a public key or ordinary base64 is not mistaken for one.
 */

/** Where a private key body sits in a text: `text.slice(start, end)`. */
export interface BodySpan {
  /** Offset of the first character of the run. */
  start: number;
  /** Offset just past its last character. */
  end: number;
}

/** A base64 piece shorter than this ends a run: PEM lines are 64 characters, OpenSSH ones 70. */
const MIN_LINE_CHARS = 16;
const OPENSSH_MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');
/** Key types inside OpenSSH private key files, each as its length-prefixed wire string. */
const OPENSSH_TYPES: readonly Buffer[] = [
  'ssh-ed25519',
  'ssh-rsa',
  'ssh-dss',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
].map((type) => {
  const bytes = Buffer.alloc(4 + type.length);
  bytes.writeUInt32BE(type.length);
  bytes.write(type, 4, 'latin1');
  return bytes;
});
/** OID prefixes of the password-based encryption schemes of encrypted PKCS#8 (PKCS#5, PKCS#12). */
const PBE_OIDS: readonly Buffer[] = [
  Buffer.from('2a864886f70d0105', 'hex'), // 1.2.840.113549.1.5
  Buffer.from('2a864886f70d010c01', 'hex'), // 1.2.840.113549.1.12.1
];

/** The runs of whitespace-separated base64 in `text` that decode to private key material. */
export function findPrivateKeyBodies(text: string): BodySpan[] {
  return base64Runs(text).filter((run) => isPrivateKeyBody(text.slice(run.start, run.end)));
}

/**
 * Maximal runs of base64 pieces separated only by whitespace, starting at a piece of at least
 * 16 characters; a shorter piece or padding ends the run. The shorter piece is kept in it: it
 * may be the body's last line, so a short word typed right after a body goes with it.
 */
function base64Runs(text: string): BodySpan[] {
  const runs: BodySpan[] = [];
  let run: BodySpan | null = null;
  let open = false; // whether the last piece of `run` may be followed by more
  for (const match of text.matchAll(/[A-Za-z0-9+/]+=*/g)) {
    const start = match.index;
    const end = start + match[0].length;
    const long = match[0].replace(/=+$/, '').length >= MIN_LINE_CHARS;
    const continues = run !== null && open && /^\s+$/.test(text.slice(run.end, start));
    if (continues) run!.end = end;
    else if (long) runs.push((run = { start, end }));
    else run = null;
    open = run !== null && long && !match[0].endsWith('=');
  }
  return runs;
}

/** Tries each of the four ways the run's characters can line up with byte boundaries. */
function isPrivateKeyBody(run: string): boolean {
  const chars = run.replace(/[\s=]+/g, '');
  for (let shift = 0; shift < 4; shift += 1) {
    const usable = chars.length - shift - ((chars.length - shift) % 4);
    if (usable < 4) break;
    if (holdsPrivateKey(Buffer.from(chars.slice(shift, shift + usable), 'base64'))) return true;
  }
  return false;
}

function holdsPrivateKey(bytes: Buffer): boolean {
  return bytes.includes(OPENSSH_MAGIC) || holdsOpensshSection(bytes) || holdsDerKey(bytes);
}

/**
 * The parts of an OpenSSH private key file left when its first lines (with the magic) are gone:
 * the private section (two equal check integers, then the key type), the public key it opens
 * with (`uint32 1` key, the length of its blob, the blob's type), an ed25519 private key (the
 * 64-byte seed and public key after the 32-byte public key) or the big integers of another.
 */
function holdsOpensshSection(bytes: Buffer): boolean {
  for (const needle of OPENSSH_TYPES) {
    for (let at = bytes.indexOf(needle, 8); at >= 0; at = bytes.indexOf(needle, at + 1)) {
      if (bytes.readUInt32BE(at - 8) === bytes.readUInt32BE(at - 4)) return true;
      const blobLength = bytes.readUInt32BE(at - 4);
      if (bytes.readUInt32BE(at - 8) === 1 && blobLength >= needle.length + 4 && blobLength <= 4096)
        return true;
    }
  }
  // Six, because an ssh-dss public key is five strings: type, p, q, g, y.
  return holdsEd25519Secret(bytes) || holdsChain(bytes, readSshMpint, 6);
}

/** `string public (32 bytes)`, then `string secret (64 bytes)` ending in the same public key. */
function holdsEd25519Secret(bytes: Buffer): boolean {
  const needle = Buffer.from([0, 0, 0, 64]);
  for (let at = bytes.indexOf(needle, 36); at >= 0; at = bytes.indexOf(needle, at + 1)) {
    if (at + 4 + 64 > bytes.length || bytes.readUInt32BE(at - 36) !== 32) continue;
    if (bytes.subarray(at - 32, at).equals(bytes.subarray(at + 4 + 32, at + 4 + 64))) return true;
  }
  return false;
}

/** A DER private key structure starting anywhere, or its run of INTEGERs after a cut. */
function holdsDerKey(bytes: Buffer): boolean {
  for (let at = bytes.indexOf(0x30); at >= 0; at = bytes.indexOf(0x30, at + 1)) {
    if (isDerPrivateKeyAt(bytes, at)) return true;
  }
  return holdsChain(bytes, readDerInteger, 4);
}

/** One DER element: its tag, where its content starts and ends (the end may lie past the data). */
interface Element {
  tag: number;
  start: number;
  end: number;
}

function readElement(bytes: Buffer, at: number): Element | null {
  if (at + 2 > bytes.length) return null;
  const first = bytes[at + 1]!;
  if (first < 0x80) return { tag: bytes[at]!, start: at + 2, end: at + 2 + first };
  const size = first - 0x80;
  if (size < 1 || size > 3 || at + 2 + size > bytes.length) return null;
  const length = bytes.readUIntBE(at + 2, size);
  if (length < 0x80 || length >> (8 * (size - 1)) === 0) return null; // not the shortest form
  return { tag: bytes[at]!, start: at + 2 + size, end: at + 2 + size + length };
}

/**
 * The SEQUENCE at `at` and its first `max` children. A pasted body may be cut short, so the
 * SEQUENCE may end past the data and so may its last child read here (its header says what it
 * is); a child may never end past its SEQUENCE.
 */
function sequenceAt(
  bytes: Buffer,
  at: number,
  max: number,
): { sequence: Element; children: Element[] } | null {
  const sequence = readElement(bytes, at);
  if (!sequence || sequence.tag !== 0x30) return null;
  const limit = Math.min(sequence.end, bytes.length);
  const children: Element[] = [];
  for (let next = sequence.start; next < limit && children.length < max;) {
    const child = readElement(bytes, next);
    if (!child || child.end > sequence.end) break;
    children.push(child);
    if (child.end > limit) break;
    next = child.end;
  }
  return { sequence, children };
}

function isDerPrivateKeyAt(bytes: Buffer, at: number): boolean {
  const found = sequenceAt(bytes, at, 4);
  const [a, b, c, d] = found?.children ?? [];
  if (!found || !a || !b) return false;
  const whole = (element: Element | undefined): element is Element =>
    element !== undefined && element.end <= bytes.length;
  const integer = (element: Element | undefined, minBytes: number, maxBytes = Infinity) =>
    whole(element) &&
    element.tag === 0x02 &&
    element.end - element.start >= minBytes &&
    element.end - element.start <= maxBytes;
  if (isSmallInteger(bytes, a, [0, 1])) {
    // RSAPrivateKey: version, modulus, public exponent, private exponent, …
    if (integer(b, 64) && integer(c, 1, 8) && d?.tag === 0x02) return true;
    // DSA: version, p, q (160 to 256 bits), g, y, x
    if (integer(b, 64) && integer(c, 20, 33) && integer(d, 64)) return true;
    // PKCS#8 PrivateKeyInfo: version, AlgorithmIdentifier { OID, … }, OCTET STRING
    if (whole(b) && b.tag === 0x30 && c?.tag === 0x04 && readElement(bytes, b.start)?.tag === 0x06)
      return true;
  }
  // SEC1 ECPrivateKey: version 1, OCTET STRING private key, [0] parameters, [1] public key
  if (isSmallInteger(bytes, a, [1]) && whole(b) && b.tag === 0x04 && b.end - b.start >= 20) {
    return c === undefined ? b.end === found.sequence.end : c.tag === 0xa0 || c.tag === 0xa1;
  }
  // EncryptedPrivateKeyInfo: AlgorithmIdentifier { a PBE OID, … }, OCTET STRING
  if (whole(a) && a.tag === 0x30 && b.tag === 0x04) {
    const oid = readElement(bytes, a.start);
    return (
      oid?.tag === 0x06 && PBE_OIDS.some((prefix) => bytes.subarray(oid.start, oid.end).indexOf(prefix) === 0)
    );
  }
  return false;
}

function isSmallInteger(bytes: Buffer, element: Element, values: readonly number[]): boolean {
  return element.tag === 0x02 && element.end - element.start === 1 && values.includes(bytes[element.start]!);
}

/** Reads the big integer whose header is at `at`: where its bytes start and end, or null. */
type IntegerReader = (bytes: Buffer, at: number) => { start: number; end: number } | null;

function readDerInteger(bytes: Buffer, at: number): { start: number; end: number } | null {
  if (bytes[at] !== 0x02) return null;
  const element = readElement(bytes, at);
  return element && element.tag === 0x02 ? element : null;
}

/** An mpint of 1 to 4096 bytes (a 16384-bit RSA modulus takes 2049). */
function readSshMpint(bytes: Buffer, at: number): { start: number; end: number } | null {
  if (at + 4 > bytes.length || bytes[at] !== 0 || bytes[at + 1] !== 0) return null;
  const length = bytes.readUInt16BE(at + 2);
  if (length === 0 || length > 4096) return null;
  return { start: at + 4, end: at + 4 + length };
}

/**
 * A chain of at least `minLinks` positive, minimally encoded integers back to back, two of them
 * 16 bytes or more, as the private numbers of an RSA or DSA key are once the structure's head
 * is cut off. Starts already walked as part of a chain are skipped: a suffix of a chain that
 * fell short falls short too, so the scan stays linear.
 */
function holdsChain(bytes: Buffer, read: IntegerReader, minLinks: number): boolean {
  const walked = new Uint8Array(bytes.length);
  for (let at = 0; at < bytes.length; at += 1) {
    if (walked[at] === 1) continue;
    let links = 0;
    let big = 0;
    for (let next = at; ;) {
      const integer = read(bytes, next);
      if (!integer || integer.end > bytes.length || !isCanonicalPositive(bytes, integer)) break;
      links += 1;
      if (integer.end - integer.start >= 16) big += 1;
      if (links >= minLinks && big >= 2) return true;
      walked[next] = 1;
      next = integer.end;
    }
  }
  return false;
}

function isCanonicalPositive(bytes: Buffer, integer: { start: number; end: number }): boolean {
  if (integer.end <= integer.start) return false;
  const first = bytes[integer.start]!;
  if (first >= 0x80) return false;
  return first !== 0 || (integer.end - integer.start > 1 && bytes[integer.start + 1]! >= 0x80);
}
