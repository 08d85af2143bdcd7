/** Splits command text into words, keeping offsets so a verb can take the raw rest of a line. */

/** One whitespace-separated word and where it sits in the source text. */
export interface Token {
  /** The word itself. */
  text: string;
  /** Offset of its first character in the source. */
  start: number;
  /** Offset just past its last character. */
  end: number;
}

export interface Tokens {
  /** Words before the first standalone `--` (all words when there is none). */
  words: Token[];
  /**
   * Raw text after the first standalone `--`, leading whitespace removed, otherwise verbatim
   * (quotes, `;`, `|` and newlines included): the command `run` will pass on. Null without `--`.
   */
  rest: string | null;
}

export function tokenize(source: string): Tokens {
  const words: Token[] = [];
  for (const match of source.matchAll(/\S+/g)) {
    const start = match.index;
    const end = start + match[0].length;
    if (match[0] === '--') return { words, rest: source.slice(end).replace(/^\s+/, '') };
    words.push({ text: match[0], start, end });
  }
  return { words, rest: null };
}
