/**
 * Schema version 6: `items.next_attempt_at` dropped (docs/decisions/0014).
 *
 * It was written with every `retry_wait` and read by nothing: a run waits out an item's
 * backoff in memory, and `resume` sends a waiting item straight away (by then its backoff,
 * seconds at most outside an outage, has passed; an outage is probed again first). A
 * time the store keeps but no reader honours is a promise the contract does not make.
 * SQLite rewrites the table's rows to drop a column: a one-time cost, measured at 1.7 s
 * for a million answered items.
 */
export const migration0006 = `
ALTER TABLE items DROP COLUMN next_attempt_at;
`;
