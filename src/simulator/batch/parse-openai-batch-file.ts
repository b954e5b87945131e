import { findGenerationProblem } from '../build-generation-answer.ts';
import { isRecord } from '../deterministic-answer.ts';
import type { GenerationEndpoint } from '../generation-endpoint.ts';
import type { BatchFailure } from './batch-failure.ts';
import { estimateRequestTokens } from './estimate-request-tokens.ts';

/** OpenAI's and Zhipu's cap on requests per batch file. */
export const MAX_BATCH_FILE_LINES = 50_000;
/** Errors listed in a failed batch's `errors.data`; the rest of a bad file is not read. */
const MAX_REPORTED_ERRORS = 100;

export type ParsedBatchFile =
  | {
      ok: true;
      customIds: string[];
      /** Byte ranges of each request line in the file, to re-read its body when the batch ends. */
      lineStarts: number[];
      lineEnds: number[];
      /** Lines whose body the generation endpoint would answer 400 (see build-generation-answer.ts). */
      invalid: boolean[];
      tokens: number;
      model: string;
    }
  | { ok: false; errors: BatchFailure[]; lineCount: number };

/**
 * Validates a batch input file the way OpenAI's `validating` step does: every non-blank line is
 * `{custom_id, method: "POST", url, body}`, `url` equals the batch `endpoint`, custom_ids are unique, all bodies name
 * the same model, 1 to 50,000 lines. Blank lines (such as a final newline) are skipped; a UTF-8 BOM is ignored.
 */
export function parseOpenAIBatchFile(
  content: Buffer,
  endpoint: string,
  generationEndpoint: GenerationEndpoint,
): ParsedBatchFile {
  const errors: BatchFailure[] = [];
  const customIds: string[] = [];
  const lineStarts: number[] = [];
  const lineEnds: number[] = [];
  const invalid: boolean[] = [];
  const seen = new Set<string>();
  let tokens = 0;
  let model: string | undefined;
  let lineNumber = 0;
  let start = content[0] === 0xef && content[1] === 0xbb && content[2] === 0xbf ? 3 : 0;
  while (start < content.length && errors.length < MAX_REPORTED_ERRORS) {
    const newline = content.indexOf(0x0a, start);
    const end = newline === -1 ? content.length : newline;
    lineNumber += 1;
    const text = content.toString('utf8', start, end).trim();
    const lineStart = start;
    start = end + 1;
    if (text === '') continue;
    const line = parseLine(text, lineNumber, endpoint);
    if ('code' in line) {
      errors.push(line);
      continue;
    }
    if (seen.has(line.customId)) {
      errors.push(
        failure(
          'duplicate_custom_id',
          `The custom_id '${line.customId}' is used more than once in the file.`,
          lineNumber,
          'custom_id',
        ),
      );
      continue;
    }
    seen.add(line.customId);
    const lineModel = typeof line.body['model'] === 'string' ? line.body['model'] : '';
    model ??= lineModel;
    if (lineModel !== model) {
      errors.push(
        failure(
          'model_mismatch',
          `The model '${lineModel}' differs from the file's model '${model}'; a batch serves one model.`,
          lineNumber,
          'body.model',
        ),
      );
      continue;
    }
    customIds.push(line.customId);
    lineStarts.push(lineStart);
    lineEnds.push(end);
    invalid.push(findGenerationProblem(generationEndpoint, line.body) !== undefined);
    tokens += estimateRequestTokens(line.body);
  }
  if (errors.length === 0 && customIds.length === 0) {
    errors.push(failure('empty_file', 'The batch input file is empty.', null, null));
  }
  if (errors.length === 0 && customIds.length > MAX_BATCH_FILE_LINES) {
    const message = `The batch input file has ${String(customIds.length)} requests; the limit is ${String(MAX_BATCH_FILE_LINES)}.`;
    errors.push(failure('too_many_tasks', message, null, null));
  }
  if (errors.length > 0) return { ok: false, errors, lineCount: lineNumber };
  return { ok: true, customIds, lineStarts, lineEnds, invalid, tokens, model: model ?? '' };
}

function parseLine(
  text: string,
  lineNumber: number,
  endpoint: string,
): { customId: string; body: Record<string, unknown> } | BatchFailure {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return failure('invalid_json_line', 'This line is not parseable as valid JSON.', lineNumber, null);
  }
  if (!isRecord(parsed)) return failure('invalid_json_line', 'This line is not a JSON object.', lineNumber, null);
  const customId = parsed['custom_id'];
  if (typeof customId !== 'string' || customId === '') {
    return failure(
      'missing_required_parameter',
      'Each line needs a non-empty string `custom_id`.',
      lineNumber,
      'custom_id',
    );
  }
  if (parsed['method'] !== 'POST') {
    return failure('invalid_value', "Each line's `method` must be 'POST'.", lineNumber, 'method');
  }
  if (parsed['url'] !== endpoint) {
    const message = `The url '${String(parsed['url'])}' does not match the batch endpoint '${endpoint}'.`;
    return failure('url_mismatch', message, lineNumber, 'url');
  }
  const body = parsed['body'];
  if (!isRecord(body)) {
    return failure('missing_required_parameter', 'Each line needs a JSON object `body`.', lineNumber, 'body');
  }
  return { customId, body };
}

function failure(code: string, message: string, line: number | null, param: string | null): BatchFailure {
  return { code, message, line, param };
}
