/**
 * Schema version 11: the two item lists batch mode reads on every chunk get an index that holds just them.
 *
 * - `items_pending`: the pending items in input order (`pendingPage`, cutting a chunk). Without it SQLite walked
 *   `items_seq` from the first item and read every row's state: cutting the 4th chunk of 200,000 items read the
 *   150,000 rows of the first three, and every turn after the last cut read all 200,000 to find none.
 * - `items_chunk_seq` (in place of `items_chunk`, which lacked `seq`): a chunk's items in input order
 *   (`chunkItemsPage`: writing its file, merging, closing). With `items_chunk` the `ORDER BY seq` made SQLite
 *   prefer `items_seq` and read the job's rows up to the chunk's.
 *
 * Measured with bench/batch.mjs (200,000 lines, 4 chunks): the two lists took about 2.1 of 15 CPU-s before.
 */
export const migration0011 = `
CREATE INDEX IF NOT EXISTS items_pending ON items (job_id, seq) WHERE state = 'pending';
DROP INDEX IF EXISTS items_chunk;
CREATE INDEX IF NOT EXISTS items_chunk_seq ON items (job_id, chunk_no, seq) WHERE chunk_no IS NOT NULL;
`;
