/** "Did you mean …" for mistyped verbs. */

const MAX_DISTANCE = 2;

/**
 * The closest candidate within edit distance 2 (case-insensitive), or null. A suggestion must be
 * closer than the typed word is long, so `x` does not turn into `up`.
 */
export function closestMatch(word: string, candidates: readonly string[]): string | null {
  const typed = word.toLowerCase();
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(typed, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= MAX_DISTANCE && bestDistance < Array.from(word).length ? best : null;
}

/** Levenshtein distance over code points; returns 3 at once when the lengths differ by more than 2. */
export function editDistance(a: string, b: string): number {
  const left = Array.from(a);
  const right = Array.from(b);
  if (Math.abs(left.length - right.length) > MAX_DISTANCE) return MAX_DISTANCE + 1;
  let previous = right.map((_, index) => index + 1);
  previous.unshift(0);
  for (let i = 1; i <= left.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= right.length; j += 1) {
      const substitution = previous[j - 1]! + (left[i - 1] === right[j - 1] ? 0 : 1);
      current.push(Math.min(substitution, previous[j]! + 1, current[j - 1]! + 1));
    }
    previous = current;
  }
  return previous[right.length]!;
}
