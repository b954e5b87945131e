import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { answerKey } from '../../src/simulator/index.ts';

/**
 * The exactly-once checker of SPEC section 6: reads a job's input and its result files and asserts that every valid
 * input item is in exactly one of output.jsonl, errors.jsonl and missing_records.jsonl (never two, never none, never
 * twice), that every other input line is in rejects.jsonl, that each answer in output.jsonl belongs to its own
 * request (the simulator's `sim:<answerKey>` prefix), and that report.json counts the same.
 */

export interface CheckResultFilesOptions {
  inputPath: string;
  /** `<workspace>/jobs/<id>`. */
  jobDir: string;
  /** For message rows without a `model`: the config's model. */
  defaultModel?: string;
  /** `input.messages_key`. @default 'messages' */
  messagesKey?: string;
  /** Output order to check. @default 'input' */
  order?: 'input' | 'completion';
}

export interface InputItem {
  lineNo: number;
  customId: string;
  raw: string;
  url: string;
  body: Record<string, unknown>;
}

export interface OutputLine {
  id: string;
  custom_id: string;
  response: { status_code: number; request_id: string | null; body: Record<string, unknown> };
  error: null;
}

export interface ErrorLine {
  id: string;
  custom_id: string;
  response: { status_code: number; request_id: string | null; body: null } | null;
  error: { code: string; message: string; reason?: string };
  attempts: number;
}

export interface RejectLine {
  line: number;
  custom_id?: string;
  reason: string;
  raw: string;
}

export interface ResultReport {
  state: string;
  input: { path: string; lines_read: number; fully_read: boolean };
  counts: {
    total: number;
    succeeded: number;
    failed: number;
    missing: number;
    rejected: number;
    left_out_by_limit: number;
  };
  missing_by_reason: Record<string, number>;
  attempts: number;
  [key: string]: unknown;
}

export interface ResultPartition {
  /** Valid items, in input order. */
  items: InputItem[];
  /** Custom ids per file, in file order. */
  succeeded: string[];
  failed: string[];
  missing: string[];
  outputLines: OutputLine[];
  errorLines: ErrorLine[];
  rejects: RejectLine[];
  report: ResultReport;
}

export async function readJsonl<T>(path: string): Promise<T[]> {
  const text = await readFile(path, 'utf8');
  return splitLines(text).map((line, index) => {
    try {
      return JSON.parse(line) as T;
    } catch (error) {
      throw new Error(`${path}:${String(index + 1)} is not JSON: ${(error as Error).message}`, { cause: error });
    }
  });
}

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What the simulator must have answered for `item`: `sim:<key>`, the key computed from its own request. */
export function expectedAnswerPrefix(item: Pick<InputItem, 'url' | 'body'>): string {
  return `sim:${answerKey(item.url, item.body)}`;
}

function toInputItem(lineNo: number, raw: string, options: CheckResultFilesOptions): InputItem {
  const value = JSON.parse(raw) as unknown;
  assert.ok(isRecord(value), `input line ${String(lineNo)} was accepted but is not a JSON object`);
  if (isRecord(value['body'])) {
    return { lineNo, raw, customId: String(value['custom_id']), url: String(value['url']), body: value['body'] };
  }
  const id = value['custom_id'] ?? value['id'] ?? lineNo;
  return {
    lineNo,
    raw,
    customId: typeof id === 'string' ? id : JSON.stringify(id),
    url: '/v1/chat/completions',
    body: { model: value['model'] ?? options.defaultModel, messages: value[options.messagesKey ?? 'messages'] },
  };
}

function assertInOrder(ids: readonly string[], indexOf: ReadonlyMap<string, InputItem>, file: string): void {
  let previous = -1;
  for (const id of ids) {
    const lineNo = indexOf.get(id)?.lineNo ?? -1;
    assert.ok(lineNo > previous, `${file}: ${id} (line ${String(lineNo)}) comes after line ${String(previous)}`);
    previous = lineNo;
  }
}

export async function checkResultFiles(options: CheckResultFilesOptions): Promise<ResultPartition> {
  const { jobDir } = options;
  const inputLines = splitLines(await readFile(options.inputPath, 'utf8'));
  const report = JSON.parse(await readFile(join(jobDir, 'report.json'), 'utf8')) as ResultReport;
  // A stopped job records the lines it had not reached too (as missing or rejects), so every line is accounted for.
  assert.equal(report.input.fully_read, true, 'report.input.fully_read');
  const rejects = await readJsonl<RejectLine>(join(jobDir, 'rejects.jsonl'));
  const rejectedLines = new Set<number>();
  for (const reject of rejects) {
    assert.ok(Number.isInteger(reject.line) && reject.line >= 1 && reject.line <= inputLines.length, 'reject line');
    assert.ok(!rejectedLines.has(reject.line), `line ${String(reject.line)} rejected twice`);
    assert.equal(typeof reject.reason, 'string');
    assert.ok(reject.reason.length > 0, `reject of line ${String(reject.line)} has no reason`);
    rejectedLines.add(reject.line);
  }

  const items: InputItem[] = [];
  const byCustomId = new Map<string, InputItem>();
  const byRaw = new Map<string, InputItem>();
  for (const [index, raw] of inputLines.entries()) {
    const lineNo = index + 1;
    if (rejectedLines.has(lineNo)) continue;
    const item = toInputItem(lineNo, raw, options);
    assert.ok(!byCustomId.has(item.customId), `custom_id ${item.customId} accepted twice (line ${String(lineNo)})`);
    items.push(item);
    byCustomId.set(item.customId, item);
    byRaw.set(raw, item);
  }

  // Where each valid item ended up; a second sighting anywhere is a failure.
  const seen = new Map<string, string>();
  const place = (customId: string, file: string): void => {
    assert.ok(byCustomId.has(customId), `${file} holds ${customId}, which is not a valid input item`);
    const earlier = seen.get(customId);
    assert.equal(earlier, undefined, `${customId} is in ${String(earlier)} and again in ${file}`);
    seen.set(customId, file);
  };

  const outputLines = await readJsonl<OutputLine>(join(jobDir, 'output.jsonl'));
  for (const line of outputLines) {
    place(line.custom_id, 'output.jsonl');
    assert.equal(line.error, null, `output.jsonl ${line.custom_id}: error is not null`);
    assert.equal(line.response.status_code, 200, `output.jsonl ${line.custom_id}: status`);
    const item = byCustomId.get(line.custom_id)!;
    const expected = expectedAnswerPrefix(item);
    const choices = line.response.body['choices'] as { message?: { content?: unknown } }[] | undefined;
    const content = choices?.[0]?.message?.content;
    assert.equal(typeof content, 'string', `output.jsonl ${line.custom_id}: no choices[0].message.content`);
    assert.ok(
      (content as string).startsWith(expected),
      `output.jsonl ${line.custom_id}: answer "${String(content)}" does not belong to its request (${expected})`,
    );
  }

  const errorLines = await readJsonl<ErrorLine>(join(jobDir, 'errors.jsonl'));
  for (const line of errorLines) {
    place(line.custom_id, 'errors.jsonl');
    assert.equal(typeof line.error.code, 'string', `errors.jsonl ${line.custom_id}: error.code`);
    assert.ok(Number.isInteger(line.attempts) && line.attempts >= 1, `errors.jsonl ${line.custom_id}: attempts`);
  }

  const missingRaw = splitLines(await readFile(join(jobDir, 'missing_records.jsonl'), 'utf8'));
  const missing: string[] = [];
  for (const raw of missingRaw) {
    const item = byRaw.get(raw);
    assert.ok(item !== undefined, `missing_records.jsonl holds a line that is not a valid input line: ${raw}`);
    place(item.customId, 'missing_records.jsonl');
    missing.push(item.customId);
  }

  const unaccounted = items.filter((item) => !seen.has(item.customId)).map((item) => item.customId);
  assert.deepEqual(unaccounted.slice(0, 20), [], `${String(unaccounted.length)} valid items are in no result file`);

  const succeeded = outputLines.map((line) => line.custom_id);
  const failed = errorLines.map((line) => line.custom_id);
  if ((options.order ?? 'input') === 'input') {
    assertInOrder(succeeded, byCustomId, 'output.jsonl');
    assertInOrder(failed, byCustomId, 'errors.jsonl');
    assertInOrder(missing, byCustomId, 'missing_records.jsonl');
  }

  assert.equal(report.counts.total, items.length, 'report.counts.total');
  assert.equal(report.counts.succeeded, succeeded.length, 'report.counts.succeeded');
  assert.equal(report.counts.failed, failed.length, 'report.counts.failed');
  assert.equal(report.counts.missing, missing.length, 'report.counts.missing');
  assert.equal(report.counts.rejected, rejects.length, 'report.counts.rejected');

  return {
    items,
    succeeded,
    failed,
    missing,
    outputLines,
    errorLines,
    rejects,
    report,
  };
}
