import type pg from 'pg';
import type { IngestCursor } from '../../../core/job.ts';
import type { ItemLocation } from '../../../core/item.ts';
import type { Reject } from '../../../core/reject.ts';
import type { IngestBatch, IngestResult, NewItem } from '../../item-store.ts';
import { JOB_UPDATES } from './jobs.ts';
import { insertRejects } from './rejects.ts';

/**
 * `ItemStore.ingest` inside the caller's transaction, which holds the job's row locked (so the cursor read there is
 * the one this call advances): one read of which of the batch's custom_ids the job has already, then the items and
 * the rejects each in one multi-row INSERT, then the cursor. Duplicates (of an earlier item or of one earlier in the
 * batch) become rejects and `limit` is applied in the batch's order, as the SQLite store does line by line.
 */
export async function ingestBatch(
  db: pg.ClientBase,
  jobId: string,
  cursorBefore: IngestCursor,
  batch: IngestBatch,
  now: number,
): Promise<IngestResult> {
  const cursor = { ...cursorBefore, ...batch.position };
  const pending: ItemLocation[] = [];
  const rejects: Reject[] = [...batch.rejects];
  const firstLine = new Map<string, number>();
  if (batch.items.length > 0) {
    const { rows } = await db.query<{ custom_id: string; line_no: number }>({
      name: 'items-existing-custom-ids',
      text: 'SELECT custom_id, line_no FROM items WHERE job_id = $1 AND custom_id = ANY($2::text[])',
      values: [jobId, batch.items.map((item) => item.customId)],
    });
    for (const row of rows) firstLine.set(row.custom_id, row.line_no);
  }
  const accepted: { item: NewItem; pending: boolean }[] = [];
  for (const item of batch.items) {
    const first = firstLine.get(item.customId);
    if (first !== undefined) {
      rejects.push({
        line: item.lineNo,
        custom_id: item.customId,
        reason: `duplicate custom_id "${item.customId}" (first seen on line ${String(first)}); make custom_id unique`,
        raw: item.raw,
      });
      continue;
    }
    firstLine.set(item.customId, item.lineNo);
    const withinLimit = batch.limit === 0 || cursor.accepted < batch.limit;
    accepted.push({ item, pending: withinLimit });
    if (!withinLimit) {
      cursor.leftOut += 1;
      continue;
    }
    cursor.accepted += 1;
    pending.push({
      seq: item.seq,
      customId: item.customId,
      lineNo: item.lineNo,
      byteOffset: item.byteOffset,
      byteLength: item.byteLength,
      lineHash: item.lineHash ?? null,
    });
  }
  cursor.rejected += rejects.length;
  if (accepted.length > 0) {
    const column = <T>(pick: (item: NewItem) => T): T[] => accepted.map(({ item }) => pick(item));
    const { rows } = await db.query<{ seq: number }>({
      name: 'items-insert',
      text: `INSERT INTO items (job_id, seq, custom_id, line_no, byte_offset, byte_length, line_hash, group_key, prompt,
           state, missing_reason, request)
         SELECT $1, u.seq, u.custom_id, u.line_no, u.byte_offset, u.byte_length, u.line_hash, u.group_key, u.prompt,
           CASE WHEN u.pending THEN 'pending' ELSE 'cancelled' END, CASE WHEN u.pending THEN NULL ELSE 'limit' END,
           convert_to(u.request, 'UTF8')
         FROM unnest($2::int[], $3::text[], $4::int[], $5::bigint[], $6::int[], $7::bigint[], $8::text[], $9::bool[],
           $10::text[], $11::text[])
           AS u(seq, custom_id, line_no, byte_offset, byte_length, line_hash, group_key, pending, request, prompt)
         ON CONFLICT DO NOTHING RETURNING seq`,
      values: [
        jobId,
        column((item) => item.seq),
        column((item) => item.customId),
        column((item) => item.lineNo),
        column((item) => item.byteOffset),
        column((item) => item.byteLength),
        column((item) => item.lineHash ?? null),
        column((item) => item.group ?? null),
        accepted.map((entry) => entry.pending),
        // The line itself, for workers on other machines (docs/decisions/0031); PostgreSQL compresses a long one.
        column((item) => item.raw),
        column((item) => item.prompt ?? null),
      ],
    });
    if (rows.length < accepted.length)
      refuseSeqTaken(accepted, new Set(rows.map((row) => row.seq)), cursor, pending, rejects);
  }
  await insertRejects(db, jobId, rejects);
  await db.query(JOB_UPDATES.cursor, [JSON.stringify(cursor), now, jobId]);
  if (batch.inputSha256 !== undefined) await db.query(JOB_UPDATES.inputHash, [batch.inputSha256, jobId]);
  return { pending, cursor };
}

/**
 * Items whose seq the job already has (a line given again under a seq already taken): not inserted, so rejects as
 * SQLite's `ON CONFLICT DO NOTHING` makes them, and taken back out of the counts and of the pending list.
 */
function refuseSeqTaken(
  accepted: readonly { item: NewItem; pending: boolean }[],
  inserted: ReadonlySet<number>,
  cursor: IngestCursor,
  pending: ItemLocation[],
  rejects: Reject[],
): void {
  for (const { item, pending: wasPending } of accepted) {
    if (inserted.has(item.seq)) continue;
    if (wasPending) cursor.accepted -= 1;
    else cursor.leftOut -= 1;
    cursor.rejected += 1;
    const at = pending.findIndex((location) => location.seq === item.seq);
    if (at >= 0) pending.splice(at, 1);
    rejects.push({
      line: item.lineNo,
      custom_id: item.customId,
      reason: `duplicate custom_id "${item.customId}" (first seen on line ?); make custom_id unique`,
      raw: item.raw,
    });
  }
}
