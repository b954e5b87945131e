/** Rows per page of every list the store reads in pages. */
const PAGE_SIZE = 2000;

/**
 * The one paging helper of the SQLite store: keyset pagination, each page fetched after the
 * key of the last row of the one before, so no statement stays open across a yield (writes
 * may interleave) and a row is listed once however the pages fall. `fetchPage(after, limit)`
 * must return rows ordered by the key, strictly after `after`.
 */
export function* keysetPages<Row, Key>(
  fetchPage: (after: Key, limit: number) => Row[],
  first: Key,
  keyOf: (row: Row) => Key,
  pageSize = PAGE_SIZE,
): Generator<Row, void, undefined> {
  let after = first;
  for (;;) {
    const rows = fetchPage(after, pageSize);
    yield* rows;
    const last = rows.at(-1);
    if (last === undefined || rows.length < pageSize) return;
    after = keyOf(last);
  }
}

/** Keyset pages keyed by `seq` (input order), from the first item. */
export function seqPages<Row extends { seq: number }>(
  fetchPage: (afterSeq: number, limit: number) => Row[],
  pageSize = PAGE_SIZE,
): Generator<Row, void, undefined> {
  return keysetPages(fetchPage, -1, (row) => row.seq, pageSize);
}
