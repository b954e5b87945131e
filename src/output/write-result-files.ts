import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ItemRecord, MissingReason } from '../core/item.ts';
import type { Job } from '../core/job.ts';
import { createLineReader, type LineReader } from '../input/read-line-at.ts';
import { readJsonlLines } from '../input/read-jsonl-lines.ts';
import type { ItemStore } from '../store/store.ts';
import { AtomicFileWriter } from './atomic-write.ts';
import { RESULT_FILES } from './result-file-names.ts';
import { crashPoint } from '../util/crash-point.ts';

export interface ResultFileCounts {
  succeeded: number;
  failed: number;
  missing: number;
  rejected: number;
  missingByReason: Record<string, number>;
  /**
   * Items a group did not need (`cancelled` with the reason `target_reached`, docs/decisions/0024): in none of the
   * three files, neither missing nor failed.
   */
  skipped: number;
}

const MISSING_READ_PAGE = 1000;

/**
 * A job whose run is still reading its input (`collect JOB` while it runs): the lines after its committed cursor are
 * not items yet. Items the store got after the cursor was read (seq from `seq`) are left out, and the lines from
 * `byte` on are written to missing_records.jsonl as they are (`unread`), so every input line is in a file once.
 */
export interface UnreadInput {
  byte: number;
  line: number;
  seq: number;
  maxLineBytes: number;
}

/**
 * Materialises output.jsonl, errors.jsonl, missing_records.jsonl and rejects.jsonl from
 * the store. Every item is written to exactly one of the first three, by its state:
 * succeeded -> output, failed -> errors, anything else -> missing (its original line),
 * except an item its group did not need (`target_reached`), which is only counted (`skipped`).
 */
export async function writeResultFiles(
  store: ItemStore,
  job: Job,
  order: 'input' | 'completion',
  unread?: UnreadInput,
): Promise<ResultFileCounts> {
  await mkdir(job.outDir, { recursive: true });
  const output = new AtomicFileWriter(join(job.outDir, RESULT_FILES.output));
  const errors = new AtomicFileWriter(join(job.outDir, RESULT_FILES.errors));
  const missing = new AtomicFileWriter(join(job.outDir, RESULT_FILES.missing));
  const rejects = new AtomicFileWriter(join(job.outDir, RESULT_FILES.rejects));
  const writers = [output, errors, missing, rejects];
  const counts: ResultFileCounts = {
    succeeded: 0,
    failed: 0,
    missing: 0,
    rejected: 0,
    missingByReason: {},
    skipped: 0,
  };
  // Opened at the first missing item: a job with none needs no input file (`collect JOB` on another machine).
  let reader: LineReader | undefined;
  try {
    for (const writer of writers) await writer.open();
    let missingPage: ItemRecord[] = [];
    const flushMissing = async (): Promise<void> => {
      reader ??= await createLineReader(job.inputPath);
      const lines = await reader.readMany(missingPage);
      for (const line of lines) await missing.writeLine(line);
      missingPage = [];
    };
    for await (const item of store.iterateItems(job.id, order)) {
      if (unread !== undefined && item.seq >= unread.seq) continue;
      if (item.state === 'succeeded') {
        counts.succeeded += 1;
        const [head, tail] = outputLineAround(job.id, item);
        const body = item.responseBody ?? 'null';
        // A large answer kept as bytes is written as it is, never decoded into one more copy.
        if (typeof body === 'string') await output.writeLine(head + body + tail);
        else await output.writeLineParts([head, body, tail]);
      } else if (item.state === 'failed') {
        counts.failed += 1;
        await errors.writeLine(formatErrorLine(job.id, item));
      } else if (item.state === 'cancelled' && item.missingReason === 'target_reached') {
        counts.skipped += 1;
      } else {
        counts.missing += 1;
        const reason: MissingReason | 'unfinished' = item.missingReason ?? 'unfinished';
        counts.missingByReason[reason] = (counts.missingByReason[reason] ?? 0) + 1;
        missingPage.push(item);
        if (missingPage.length >= MISSING_READ_PAGE) await flushMissing();
      }
    }
    if (missingPage.length > 0) await flushMissing();
    if (unread !== undefined) {
      const lines = readJsonlLines(job.inputPath, {
        startByte: unread.byte,
        startLine: unread.line,
        maxLineBytes: unread.maxLineBytes,
      });
      for await (const line of lines) {
        // A blank line or one over the limit becomes a reject, not an item: not missing.
        if (line.text === null || line.text.trim() === '') continue;
        counts.missing += 1;
        counts.missingByReason['unread'] = (counts.missingByReason['unread'] ?? 0) + 1;
        await missing.writeLine(line.text);
      }
    }
    for await (const reject of store.iterateRejects(job.id)) {
      counts.rejected += 1;
      await rejects.writeLine(JSON.stringify(reject));
    }
    crashPoint('before-result-files-commit');
    for (const writer of writers) await writer.commit();
    return counts;
  } catch (error) {
    for (const writer of writers) await writer.abort();
    throw error;
  } finally {
    await reader?.close();
  }
}

function resultId(jobId: string, seq: number): string {
  return `batch_req_${jobId.replace(/[^A-Za-z0-9]/g, '')}_${String(seq)}`;
}

/** OpenAI batch output format, before and after the body: it is spliced in as the raw JSON it arrived as. */
function outputLineAround(jobId: string, item: ItemRecord): [string, string] {
  const head = `{"id":${JSON.stringify(resultId(jobId, item.seq))},"custom_id":${JSON.stringify(item.customId)}`;
  const response = `"response":{"status_code":${String(item.statusCode ?? 200)},"request_id":${JSON.stringify(item.requestId)},"body":`;
  return [`${head},${response}`, '},"error":null}'];
}

function formatErrorLine(jobId: string, item: ItemRecord): string {
  const error = item.error ?? { code: 'unknown', message: 'no error recorded' };
  return JSON.stringify({
    id: resultId(jobId, item.seq),
    custom_id: item.customId,
    response:
      item.statusCode === null ? null : { status_code: item.statusCode, request_id: item.requestId, body: null },
    error: {
      code: error.code,
      message: error.message,
      ...(error.reason === undefined ? {} : { reason: error.reason }),
      // The provider's error body, as OpenAI's batch error lines keep it; cut, with the length it had.
      ...(error.body === undefined
        ? {}
        : { body: error.body, body_bytes: error.bodyBytes ?? Buffer.byteLength(error.body) }),
    },
    attempts: item.attempts,
  });
}
