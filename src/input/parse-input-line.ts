import type { PreparedRequest } from '../core/item.ts';
import type { Reject } from '../core/reject.ts';
import { REJECT_RAW_MAX_BYTES } from '../core/reject.ts';
import { describeJsonType, isJsonObject } from './describe-json-type.ts';
import { detectLineFormat, type InputFormat, type InputFormatOption } from './detect-line-format.ts';
import { parseCommandTask, type CommandTaskTargets } from './parse-command-task.ts';
import { parseMessagesRow, type MessagesRowOptions } from './parse-messages-row.ts';
import { parseOpenAIBatchLine } from './parse-openai-batch-line.ts';
import type { JsonLine, ParseOutcome } from './parse-outcome.ts';
import type { RawLine } from './raw-line.ts';
import { truncateUtf8 } from './truncate-utf8.ts';

export interface LineParserOptions {
  /** `input.format`. On resume, pass the format the job detected, so a file is never read two ways. */
  format: InputFormatOption;
  /** `input.messages_key`. */
  messagesKey: string;
  defaults: {
    /** The config's `model`, for message rows without one. */
    model?: string | undefined;
    /** The config's `request` defaults (max_tokens, temperature, ...), for message rows. */
    request: Readonly<Record<string, unknown>>;
    /** The config's `request.extra_body`, merged over `request` for message rows. */
    extraBody: Readonly<Record<string, unknown>>;
  };
  /** `input.max_line_bytes`, named in the reason for an over-long line. */
  maxLineBytes?: number;
  /**
   * `provider: command`: the configured targets. When set, every line is a task
   * `{custom_id, target, ...fields}` (see `parseCommandTask`) whatever `format` says, and a task naming an
   * unknown or interactive target, or missing a field its target's argv needs, is rejected.
   */
  commandTargets?: CommandTaskTargets | undefined;
}

export type ParsedLine = { ok: true; customId: string; request: PreparedRequest } | { ok: false; reject: Reject };

/** The part of a `RawLine` the parser reads; a line re-read on resume needs no offsets. */
export type ParsableLine = Pick<RawLine, 'lineNo' | 'byteLength' | 'text' | 'head' | 'invalidUtf8At'>;

export interface LineParser {
  /** Turn one line into a request or a reject. Never throws for bad input. */
  parse(line: ParsableLine): ParsedLine;
  /**
   * The format in use: the forced one, or in `auto` mode the detected one (`undefined` until a line shows it).
   * Command tasks are not an `input.format`: with `commandTargets` this stays the forced one (`undefined` in `auto`).
   */
  readonly format: InputFormat | undefined;
}

/**
 * The entry point the engine calls for every input line.
 *
 * In `auto` mode the format is set by the first line that is a JSON object of a recognisable
 * shape (see `detectLineFormat`); lines before it that have neither shape are rejected as such.
 * From then on every line is parsed in that format, as if forced, and a line that fails and has
 * the other shape gets a reason naming both formats and `input.format`. Duplicate `custom_id`s
 * are left to the store.
 */
export function createLineParser(options: LineParserOptions): LineParser {
  const { messagesKey, maxLineBytes, commandTargets } = options;
  const forced = options.format === 'auto' ? undefined : options.format;
  let format: InputFormat | undefined = forced;
  let detectedAtLine = 0;
  const messagesRowOptions: MessagesRowOptions = {
    messagesKey,
    defaultModel: options.defaults.model,
    defaultBody: mergeDefaultBody(options.defaults.request, options.defaults.extraBody),
  };

  function parseAs(lineFormat: InputFormat, line: JsonLine): ParseOutcome {
    return lineFormat === 'openai_batch' ? parseOpenAIBatchLine(line) : parseMessagesRow(line, messagesRowOptions);
  }

  function describeMismatch(lineFormat: InputFormat, fileFormat: InputFormat): string {
    if (forced !== undefined) {
      return `line looks like ${lineFormat} format, but input.format is "${fileFormat}"; set input.format to match the file`;
    }
    return `line looks like ${lineFormat} format, but this file was detected as ${fileFormat} from line ${detectedAtLine}; keep one format per file, or set input.format`;
  }

  function parse(line: ParsableLine): ParsedLine {
    const { text, lineNo } = line;
    if (text === null) {
      const limit = maxLineBytes === undefined ? 'the size limit' : `the ${maxLineBytes}-byte limit`;
      return reject(lineNo, `line is ${line.byteLength} bytes, over ${limit} (input.max_line_bytes)`, line.head ?? '');
    }
    if (line.invalidUtf8At !== undefined) {
      const reason = `line is not valid UTF-8 (bad byte at byte ${String(line.invalidUtf8At + 1)} of the line); save the file as UTF-8`;
      return reject(lineNo, reason, text);
    }
    if (isBlank(text)) return reject(lineNo, 'blank line', text);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return reject(lineNo, `invalid JSON: ${error instanceof Error ? error.message : String(error)}`, text);
    }
    if (!isJsonObject(value)) return reject(lineNo, `line must be a JSON object, got ${describeJsonType(value)}`, text);

    const jsonLine: JsonLine = { value, text, lineNo };
    if (commandTargets !== undefined) {
      const outcome = parseCommandTask(jsonLine, commandTargets);
      return outcome.ok ? outcome : reject(lineNo, outcome.reason, text, outcome.customId);
    }
    if (format === undefined) {
      const lineFormat = detectLineFormat(value, messagesKey);
      if (lineFormat === undefined) {
        const reason = `cannot tell the line's format: expected "custom_id" and "body" (openai_batch) or a ${JSON.stringify(messagesKey)} array (messages, input.messages_key); fix the line, or set input.format`;
        return reject(lineNo, reason, text);
      }
      format = lineFormat;
      detectedAtLine = lineNo;
    }
    const outcome = parseAs(format, jsonLine);
    if (outcome.ok) return outcome;
    const lineFormat = detectLineFormat(value, messagesKey);
    const reason =
      lineFormat !== undefined && lineFormat !== format ? describeMismatch(lineFormat, format) : outcome.reason;
    return reject(lineNo, reason, text, outcome.customId);
  }

  return {
    parse,
    get format() {
      return format;
    },
  };
}

function reject(lineNo: number, reason: string, raw: string, customId?: string): ParsedLine {
  const truncated = truncateUtf8(raw, REJECT_RAW_MAX_BYTES);
  const record: Reject =
    customId === undefined
      ? { line: lineNo, reason, raw: truncated }
      : { line: lineNo, custom_id: customId, reason, raw: truncated };
  return { ok: false, reject: record };
}

function isBlank(text: string): boolean {
  if (text.length === 0) return true;
  const first = text.charCodeAt(0);
  // Only lines starting with whitespace can be all whitespace; skip the trim for the rest.
  return (first === 0x20 || first === 0x09 || first === 0x0d || first === 0x0a) && text.trim() === '';
}

/** The defaults' body fields; an `extra_body` left inside `request` is merged, not sent as a field. */
function mergeDefaultBody(
  request: Readonly<Record<string, unknown>>,
  extraBody: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const { extra_body: nestedExtraBody, ...requestFields } = request;
  return { ...requestFields, ...(isJsonObject(nestedExtraBody) ? nestedExtraBody : {}), ...extraBody };
}
