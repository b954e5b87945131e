/**
 * `maxTokens`, `max-tokens` and `MAX_TOKENS` are all the user meaning
 * `max_tokens`; compare in one spelling so only real typos cost edits.
 */
function normalize(word: string): string {
  return word
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/-/g, '_');
}

/** Edit distance counting a swap of two neighbouring letters as one edit (optimal string alignment). */
function editDistance(left: string, right: string): number {
  const rows = left.length + 1;
  const columns = right.length + 1;
  const distances: number[][] = Array.from({ length: rows }, (_, row) =>
    Array.from({ length: columns }, (_unused, column) => (row === 0 ? column : column === 0 ? row : 0)),
  );
  const at = (row: number, column: number): number => distances[row]?.[column] ?? Number.POSITIVE_INFINITY;
  for (let row = 1; row < rows; row += 1) {
    for (let column = 1; column < columns; column += 1) {
      const cost = left[row - 1] === right[column - 1] ? 0 : 1;
      let best = Math.min(at(row - 1, column) + 1, at(row, column - 1) + 1, at(row - 1, column - 1) + cost);
      if (row > 1 && column > 1 && left[row - 1] === right[column - 2] && left[row - 2] === right[column - 1]) {
        best = Math.min(best, at(row - 2, column - 2) + 1);
      }
      const cells = distances[row];
      if (cells !== undefined) cells[column] = best;
    }
  }
  return at(rows - 1, columns - 1);
}

/** More edits allowed for longer words: one for `mdoe`, three for `temprature_`. */
function allowedEdits(word: string, strict: boolean): number {
  // Strict: a name that may belong to something else (an environment variable) must be one slip away.
  if (strict) return word.length <= 8 ? 1 : 2;
  if (word.length <= 3) return 1;
  if (word.length <= 6) return 2;
  return 3;
}

/**
 * The candidate closest to `word` within a few edits, or undefined when none is close. `strict` allows
 * fewer edits, for names that may not be meant for us at all (see `readEnvLayer`).
 */
export function suggestClosest(
  word: string,
  candidates: readonly string[],
  options: { strict?: boolean } = {},
): string | undefined {
  const target = normalize(word);
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(target, normalize(candidate));
    if (distance <= allowedEdits(target, options.strict === true) && (best === undefined || distance < best.distance)) {
      best = { candidate, distance };
    }
  }
  return best?.candidate;
}
