/**
 * Schema version 7: answers checked and re-asked (issue 12, docs/decisions/0019).
 *
 * - `items.reasks`: re-asks made of the item; `items.check_json`: the check of its last answer
 *   (an `ItemCheck`). A re-asked item is `pending` again and keeps its answer (`response_body`):
 *   the next request is rebuilt from it and the check, so resume needs no copy of the request.
 * - `jobs.data_json`: what a data job keeps besides its config (prompts hash, manifest path).
 * - `attempts.reask`, `attempts.check_status`: which request an attempt sent (0 the original, N
 *   the N-th re-ask) and what its answer's check said; NULL without an answer review.
 */
export const migration0007 = `
ALTER TABLE items ADD COLUMN reasks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN check_json TEXT;
ALTER TABLE jobs ADD COLUMN data_json TEXT;
ALTER TABLE attempts ADD COLUMN reask INTEGER;
ALTER TABLE attempts ADD COLUMN check_status TEXT;
`;
