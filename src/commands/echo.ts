import { scrubText } from '../domain/secret-text.ts';
/** Makes user text safe to quote back in a chat message. */

const MAX_ECHO_CHARS = 40;
/** Control, format (zero-width, soft hyphen, bidi) and line-separator characters. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
const LOOK_ALIKES: Readonly<Record<string, string>> = { '`': 'ˋ', '<': '‹', '>': '›' };

/**
 * Shows control, format (zero-width, soft hyphen, bidi) and line-separator characters as
 * escapes like `\u00AD`, so the user sees what made a word invalid; swaps backticks and angle
 * brackets for look-alikes (they would end our code span or form Slack mentions such as
 * `<!channel>`); and truncates to 40 characters, counting code points, never inside an escape.
 */
export function echoToken(text: string): string {
  // A word shaped like a secret (a token, a signing secret, a key) is never quoted back.
  if (scrubText(text) !== text || /^(?=.*\d)(?=.*[a-f])[0-9a-f]{32}$/i.test(text))
    return '[a secret-looking word, not shown]';
  const units = Array.from(text, (char) =>
    INVISIBLE.test(char) ? escape(char) : (LOOK_ALIKES[char] ?? char),
  );
  const length = (unit: string) => (unit.length > 2 ? unit.length : 1); // an escape, or one code point
  let total = 0;
  for (const unit of units) total += length(unit);
  if (total <= MAX_ECHO_CHARS) return units.join('');
  let kept = '';
  let used = 0;
  for (const unit of units) {
    if (used + length(unit) > MAX_ECHO_CHARS - 1) break;
    kept += unit;
    used += length(unit);
  }
  return `${kept}…`;
}

/** The token in backticks, ready to drop into a sentence. */
export function quote(text: string): string {
  return `\`${echoToken(text)}\``;
}

/** `\u00AD`, or `\u{E0041}` beyond the Basic Multilingual Plane. */
function escape(char: string): string {
  const hex = char.codePointAt(0)!.toString(16).toUpperCase();
  return hex.length <= 4 ? `\\u${hex.padStart(4, '0')}` : `\\u{${hex}}`;
}
