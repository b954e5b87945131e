/**
 * Answers stored in parts (`response_parts`, migration 0004; decision 0008): an answer over 1 MiB goes from the
 * socket to the store and on to `output.jsonl` one part at a time, never whole in memory.
 */
import type { Database } from 'better-sqlite3';

/** Bytes of one `response_parts` row: what SQLite and the driver copy at once, whatever the answer's size. */
export const RESPONSE_PART_BYTES = 1 << 20;

/** An answer stored in parts (migration 0004), written and read one part at a time. */
export function prepareResponsePartQueries(db: Database) {
  const insert = db.prepare<[string, number, number, Uint8Array]>(
    'INSERT INTO response_parts (job_id, seq, part, bytes) VALUES (?, ?, ?, ?)',
  );
  const remove = db.prepare<[string, number]>('DELETE FROM response_parts WHERE job_id = ? AND seq = ?');
  const select = db.prepare<[string, number], { bytes: Buffer }>(
    'SELECT bytes FROM response_parts WHERE job_id = ? AND seq = ? ORDER BY part',
  );
  return {
    /** Inside the caller's transaction; replaces any parts the item had. */
    write(jobId: string, seq: number, bytes: Uint8Array): void {
      remove.run(jobId, seq);
      for (let start = 0, part = 0; start < bytes.length; start += RESPONSE_PART_BYTES, part++) {
        insert.run(jobId, seq, part, bytes.subarray(start, start + RESPONSE_PART_BYTES));
      }
    },
    /** The answer, copied part by part into one buffer of its known length. */
    read(jobId: string, seq: number, length: number): Buffer {
      const body = Buffer.allocUnsafe(length);
      let filled = 0;
      for (const row of select.iterate(jobId, seq)) {
        body.set(row.bytes.subarray(0, length - filled), filled);
        filled += row.bytes.length;
      }
      return body.subarray(0, Math.min(filled, length));
    },
  };
}
