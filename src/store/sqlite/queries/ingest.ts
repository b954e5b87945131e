import type { Database } from 'better-sqlite3';
import type { IngestCursor } from '../../../core/job.ts';
import type { ItemLocation } from '../../../core/item.ts';
import { cutRejectRaw, type Reject } from '../../../core/reject.ts';
import type { IngestBatch, IngestResult } from '../../item-store.ts';
import type { prepareItemQueries } from './items.ts';
import type { prepareJobQueries } from './jobs.ts';
import type { prepareRejectQueries } from './rejects.ts';

export interface IngestQueries {
  jobs: ReturnType<typeof prepareJobQueries>;
  items: ReturnType<typeof prepareItemQueries>;
  rejects: ReturnType<typeof prepareRejectQueries>;
}

/**
 * `ItemStore.ingest` as one transaction (the caller runs it `.immediate()`): items and rejects
 * inserted, duplicates of a `custom_id` turned into rejects, `limit` applied, the reader's
 * cursor (read from the job row, advanced here) written back with the job's `updated_at`.
 *
 * @internal Left out of the .d.ts (stripInternal): its inferred type names better-sqlite3's unexported namespace.
 */
export function prepareIngest(db: Database, queries: IngestQueries) {
  const { jobs, items, rejects } = queries;
  return db.transaction((jobId: string, cursorBefore: IngestCursor, batch: IngestBatch, now: number): IngestResult => {
    const cursor = { ...cursorBefore, ...batch.position };
    const pending: ItemLocation[] = [];
    const insertReject = (reject: Reject): void => {
      rejects.insert.run(jobId, reject.line, reject.custom_id ?? null, reject.reason, cutRejectRaw(reject.raw));
      cursor.rejected += 1;
    };
    for (const reject of batch.rejects) insertReject(reject);
    for (const item of batch.items) {
      const withinLimit = batch.limit === 0 || cursor.accepted < batch.limit;
      const inserted = items.insert.run(
        jobId,
        item.seq,
        item.customId,
        item.lineNo,
        item.byteOffset,
        item.byteLength,
        item.lineHash ?? null,
        withinLimit ? 'pending' : 'cancelled',
        withinLimit ? null : 'limit',
        item.group ?? null,
        item.prompt ?? null,
      );
      if (inserted.changes === 0) {
        const first = items.findCustomIdLine.get(jobId, item.customId);
        insertReject({
          line: item.lineNo,
          custom_id: item.customId,
          reason: `duplicate custom_id "${item.customId}" (first seen on line ${String(first?.line_no ?? '?')}); make custom_id unique`,
          raw: item.raw,
        });
      } else if (withinLimit) {
        cursor.accepted += 1;
        pending.push({
          seq: item.seq,
          customId: item.customId,
          lineNo: item.lineNo,
          byteOffset: item.byteOffset,
          byteLength: item.byteLength,
          lineHash: item.lineHash ?? null,
        });
      } else {
        cursor.leftOut += 1;
      }
    }
    jobs.setCursor.run(JSON.stringify(cursor), now, jobId);
    if (batch.inputSha256 !== undefined) jobs.setInputHash.run(batch.inputSha256, jobId);
    return { pending, cursor };
  });
}
