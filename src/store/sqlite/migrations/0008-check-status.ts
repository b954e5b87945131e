/**
 * Schema version 8: `items.check_status`, the status of the item's check (`check_json`'s `status`) as a column of its
 * own, written with it. Counting answers by status (a run's report, groups' valid counts) then reads a short text
 * per item, not every check parsed whole (the checks hold the answers' values). Filled for checks already stored.
 */
export const migration0008 = `
ALTER TABLE items ADD COLUMN check_status TEXT;
UPDATE items SET check_status = json_extract(check_json, '$.status') WHERE check_json IS NOT NULL;
`;
