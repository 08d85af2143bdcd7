/** Makes user text safe to quote back in a chat message. */

const MAX_ECHO_CHARS = 40;

/**
 * Drops control, format (zero-width, bidi) and line-separator characters, swaps backticks and
 * angle brackets for look-alikes (they would end our code span or form Slack mentions such as
 * `<!channel>`), and truncates to 40 characters, counting code points.
 */
export function echoToken(text: string): string {
  const cleaned = text
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '')
    .replace(/`/g, 'ˋ')
    .replace(/</g, '‹')
    .replace(/>/g, '›');
  const chars = Array.from(cleaned);
  return chars.length > MAX_ECHO_CHARS ? `${chars.slice(0, MAX_ECHO_CHARS - 1).join('')}…` : cleaned;
}

/** The token in backticks, ready to drop into a sentence. */
export function quote(text: string): string {
  return `\`${echoToken(text)}\``;
}
