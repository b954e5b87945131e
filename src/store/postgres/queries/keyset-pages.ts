/** Rows per page of every list the store reads in pages. */
const PAGE_SIZE = 2000;

/**
 * Keyset pagination, as the SQLite store does it (its queries/keyset-pages.ts): each page fetched after the key of
 * the last row of the one before, so no cursor or connection is held across a yield and writes may interleave.
 * `fetchPage(after, limit)` must return rows ordered by the key, strictly after `after`.
 */
export async function* keysetPages<Row, Key>(
  fetchPage: (after: Key, limit: number) => Promise<Row[]>,
  first: Key,
  keyOf: (row: Row) => Key,
  pageSize = PAGE_SIZE,
): AsyncGenerator<Row, void, undefined> {
  let after = first;
  for (;;) {
    const rows = await fetchPage(after, pageSize);
    yield* rows;
    const last = rows.at(-1);
    if (last === undefined || rows.length < pageSize) return;
    after = keyOf(last);
  }
}

/** Keyset pages keyed by `seq` (input order), from the first item. */
export function seqPages<Row extends { seq: number }>(
  fetchPage: (afterSeq: number, limit: number) => Promise<Row[]>,
  pageSize = PAGE_SIZE,
): AsyncGenerator<Row, void, undefined> {
  return keysetPages(fetchPage, -1, (row) => row.seq, pageSize);
}
