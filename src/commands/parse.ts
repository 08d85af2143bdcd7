/**
 * The /mpi grammar: text after `/mpi` (or a whole `/mpi …` line) → typed Command. Never throws:
 * every failure is a short message plus the usage of the verb.
 */
import { isPrivateKeyMaterial, PRIVATE_KEY_MESSAGE, redactSecrets } from '../domain/ssh-key.ts';
import { bindArgs } from './bind-args.ts';
import { quote } from './echo.ts';
import { closestMatch } from './suggest.ts';
import { tokenize, type Token } from './tokenize.ts';
import type { CommandLimits, ParseResult } from './types.ts';
import { usageText } from './usage.ts';
import { topicOf, type VerbSpec } from './verb-spec.ts';
import { PLANNED_VERBS, VERB_SPECS } from './verbs.ts';

export { usageText } from './usage.ts';

/** Longer than any command we take (a 16384-bit RSA key line is about 2,800 characters). */
const MAX_COMMAND_CHARS = 10_000;
/**
 * Control characters other than tab and line breaks, and every format character: zero-width
 * and bidi marks, soft hyphens, U+FEFF. None belongs in a command, and each can make a word
 * look valid when it is not.
 */
const FORBIDDEN_CHAR = /(?![\t\n\r])[\p{Cc}\p{Cf}]/u;
/** Whitespace as every surface trims it: JavaScript's `\s` without U+FEFF (see trimCommandText). */
const TRIMMED = /^[^\S\ufeff]+|[^\S\ufeff]+$/g;
const HELP_FLAGS = ['--help', '-h'];

/**
 * The one normalization every surface applies to a command line (the console to each line,
 * parseCommand to Slack's text): surrounding whitespace goes. U+FEFF is not whitespace here,
 * though `trim()` and `\s` count it as such: it stays, to be refused like any invisible
 * character, so a line ending in it is refused on every surface alike.
 */
export function trimCommandText(text: string): string {
  return text.replace(TRIMMED, '');
}

export function parseCommand(text: string, limits: CommandLimits): ParseResult {
  let input: string;
  try {
    input = String(text ?? '');
  } catch {
    return failure('Sorry, I could not read that command. Try `/mpi help`.', usageText());
  }
  // The same short commands (`/mpi status`, `/mpi jobs`) come again and again; parsing is pure,
  // so remember recent results. Long texts (keys, job commands) are not kept.
  const cacheKey = input.length <= 64 ? `${limits.maxNodesPerCluster} ${input}` : null;
  const cached = cacheKey === null ? undefined : RECENT.get(cacheKey);
  if (cached) return cached;
  let result: ParseResult;
  try {
    result = parse(input, limits);
  } catch {
    result = failure('Sorry, I could not read that command. Try `/mpi help`.', usageText());
  }
  if (cacheKey !== null && !isPrivateKeyMaterial(input)) {
    RECENT.set(cacheKey, result);
    if (RECENT.size > 500) RECENT.delete(RECENT.keys().next().value as string);
  }
  return result;
}

/** Recently parsed short commands (results are never mutated by callers). */
const RECENT = new Map<string, ParseResult>();

/** Longest command text the audit log keeps; the rest is cut, with a marker saying so. */
export const MAX_AUDIT_TEXT_CHARS = 4096;
/**
 * How far past the cut redaction still looks: a private key body ends within this, so an END
 * line just past the cut still takes the body before it (every other rule redacts to the end).
 */
const AUDIT_REDACTION_MARGIN_CHARS = 32_768;

/**
 * Command text for the audit log: private key material replaced by a marker, then cut to
 * 4,096 characters with `… [cut: N characters in all]` (a 1 MB line is not worth keeping).
 */
export function auditText(text: string): string {
  const redacted = redactCommandText(text.slice(0, MAX_AUDIT_TEXT_CHARS + AUDIT_REDACTION_MARGIN_CHARS));
  if (text.length <= MAX_AUDIT_TEXT_CHARS && redacted.length <= MAX_AUDIT_TEXT_CHARS) return redacted;
  let cut = Math.min(redacted.length, MAX_AUDIT_TEXT_CHARS);
  if (/[\ud800-\udbff]/.test(redacted[cut - 1] ?? '')) cut -= 1; // never half a surrogate pair
  return `${redacted.slice(0, cut)}… [cut: ${text.length} characters in all]`;
}

/** Command text safe for the audit log: private key material replaced by a marker. */
export function redactCommandText(text: string): string {
  if (CLEAN_TEXTS.has(text)) return text;
  const redacted = redactSecrets(text);
  // Only texts without a secret are remembered (a key must not sit in a cache).
  if (redacted === text && text.length <= 200) {
    if (CLEAN_TEXTS.size >= 1000) CLEAN_TEXTS.clear();
    CLEAN_TEXTS.add(text);
  }
  return redacted;
}

/** Short command texts known to hold no secret: the same few are audited again and again. */
const CLEAN_TEXTS = new Set<string>();

function parse(raw: string, limits: CommandLimits): ParseResult {
  if (isPrivateKeyMaterial(raw))
    return { ok: false, message: PRIVATE_KEY_MESSAGE, usage: usageText('key add'), privateKey: true };
  if (raw.length > MAX_COMMAND_CHARS) {
    return failure(
      `That command is too long (${raw.length} characters; the limit is ${MAX_COMMAND_CHARS}).`,
      usageText(),
    );
  }
  const trimmed = trimCommandText(raw);
  const source = trimmed.replace(/^\s*\/mpi(?=\s|$)/i, '');
  const { words, rest } = tokenize(source);
  // The command after `run … --` is the user's own shell line, checked only by the verb's schema.
  // `rest` is a suffix of `trimmed`, so the words before it are still checked here.
  const verbatim = rest !== null && takesVerbatimRest(words) ? rest : '';
  const checked = trimmed.slice(0, trimmed.length - verbatim.length);
  const forbidden = FORBIDDEN_CHAR.exec(checked);
  if (forbidden) {
    const codePoint = `U+${forbidden[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    return failure(
      `The command contains an invisible or control character (${codePoint}) in ${quote(wordAround(checked, forbidden.index, forbidden[0].length))}; please retype it.`,
      usageText(),
    );
  }
  if (words.length === 0 && rest === null) return { ok: true, command: { verb: 'help', topic: null } };

  const found = findVerb(words);
  if (found.kind === 'done') return found.result;
  const { spec, used } = found;
  const args = words.slice(used);
  const line = source.slice(words[used - 1]!.end).replace(/^\s+/, '');
  if (isHelpRequest(spec, args, line)) return { ok: true, command: { verb: 'help', topic: topicOf(spec) } };

  const bound = bindArgs(spec, args, rest, line);
  if (!bound.ok) return failure(bound.message, usageText(topicOf(spec)));
  const parsed = spec.schema(limits).safeParse(bound.values);
  if (parsed.success) return { ok: true, command: parsed.data };
  const issue = parsed.error.issues[0];
  const key = issue?.path[0];
  const label =
    spec.positionals.find((slot) => slot.key === key)?.label ??
    spec.flags.find((flag) => flag.key === key)?.label;
  const token = typeof key === 'string' ? bound.values[key] : null;
  const detail = issue?.message ?? 'is not valid';
  const message = label && typeof token === 'string' ? `${label} ${quote(token)} ${detail}.` : detail;
  return failure(message, usageText(topicOf(spec)));
}

/**
 * The word around offset `at`, for the echo: up to 20 characters either side, not across
 * whitespace other than U+FEFF (which counts as whitespace to `\s` but is what we show).
 */
function wordAround(text: string, at: number, length: number): string {
  const isSpace = (char: string | undefined) => char !== undefined && /^[^\S\ufeff]$/.test(char);
  let start = at;
  while (start > 0 && at - start < 20 && !isSpace(text[start - 1])) start -= 1;
  let end = at + length;
  while (end < text.length && end - at < 20 + length && !isSpace(text[end])) end += 1;
  // Never half a surrogate pair at either edge.
  if (/[\udc00-\udfff]/.test(text[start] ?? '') && start < at) start += 1;
  if (/[\ud800-\udbff]/.test(text[end - 1] ?? '') && end > at + length) end -= 1;
  return text.slice(start, end);
}

/** Whether the leading words name a verb that takes a verbatim command after `--`. */
function takesVerbatimRest(words: readonly Token[]): boolean {
  return VERB_SPECS.some(
    (spec) => spec.rest !== undefined && spec.words.every((word, index) => words[index]?.text === word),
  );
}

type VerbLookup = { kind: 'verb'; spec: VerbSpec; used: number } | { kind: 'done'; result: ParseResult };

/** Matches the leading words against the verb table: one word (`up`) or a group (`key add`). */
function findVerb(words: readonly Token[]): VerbLookup {
  const first = words[0]?.text ?? '--';
  const group = VERB_SPECS.filter((spec) => spec.words[0] === first);
  if (group.length === 0) {
    const verbs = [...new Set(VERB_SPECS.map((spec) => spec.words[0]!))];
    if (PLANNED_VERBS.includes(first)) {
      return done(failure(`\`${first}\` is not available yet. Commands: ${verbs.join(', ')}.`, usageText()));
    }
    const suggestion = closestMatch(first, verbs);
    const hint = suggestion ? ` Did you mean \`${suggestion}\`?` : '';
    return done(
      failure(`Unknown command ${quote(first)}.${hint} Commands: ${verbs.join(', ')}.`, usageText()),
    );
  }
  const single = group.find((spec) => spec.words.length === 1);
  if (single) return { kind: 'verb', spec: single, used: 1 };

  const second = words[1]?.text;
  const spec = group.find((candidate) => candidate.words[1] === second);
  if (spec) return { kind: 'verb', spec, used: 2 };
  if (second !== undefined && HELP_FLAGS.includes(second))
    return done({ ok: true, command: { verb: 'help', topic: first } });
  const subverbs = group.map((candidate) => candidate.words[1]!);
  const choices = `\`${first}\` needs one of: ${subverbs.join(', ')}.`;
  if (second === undefined) return done(failure(choices, usageText(first)));
  const suggestion = closestMatch(second, subverbs);
  const hint = suggestion ? ` Did you mean \`${first} ${suggestion}\`?` : '';
  return done(failure(`Unknown \`${first}\` command ${quote(second)}.${hint} ${choices}`, usageText(first)));
}

function done(result: ParseResult): VerbLookup {
  return { kind: 'done', result };
}

/** `up --help`, `key add -h`: help on the verb instead of running it. */
function isHelpRequest(spec: VerbSpec, args: readonly Token[], line: string): boolean {
  if (spec.lineKey) return HELP_FLAGS.includes(line.trim());
  return args.some((arg) => HELP_FLAGS.includes(arg.text));
}

function failure(message: string, usage: string): ParseResult & { ok: false } {
  return { ok: false, message, usage, privateKey: false };
}
