/** A prompt's answer checker: reads an answer body, finds its JSON, runs the schema and checks (decision 0017). */
import type { PromptSpec } from '../prep/prompt-spec.ts';
import type { AnswerCheck, CheckIssue } from './answer-check.ts';
import { compileAnswerSchema, type AnswerSchema } from './compile-answer-schema.ts';
import { compileOutputChecks } from './compile-output-checks.ts';
import { findJsonInText } from './find-json-in-text.ts';
import { readAnswerMessage } from './read-answer-message.ts';

/**
 * Checks one answer body of a prompt; `row` is the source row, needed by `covers: "row.field"` checks; `choice` is
 * the chat completion choice to read when samples were asked with `n` (default 0). A body may be the bytes the store
 * keeps for answers over 1 MiB (decision 0008).
 */
export type AnswerChecker = (
  responseBody: string | Uint8Array,
  row?: Record<string, unknown>,
  choice?: number,
  /** `responseBody` parsed already (by the provider), when it was. */
  parsedBody?: unknown,
) => AnswerCheck;

/**
 * The checker of a prompt's answers (decision 0017). The schema and checks are compiled here, once per prompt, so a
 * malformed one stops the job before anything is sent (`OUTPUT_SPEC_INVALID`); checking an answer is then pure.
 *
 * Order: refused, then truncated (the provider said so: the text is not looked at), then for `format: json` the JSON
 * found in the text (bare, fenced, in prose, else repaired), the schema, the checks; for `format: text` the checks
 * on the text itself (path '').
 */
export function createAnswerChecker(prompt: PromptSpec): AnswerChecker {
  const schema: AnswerSchema | undefined =
    prompt.output.format === 'json' && prompt.output.schema !== undefined
      ? compileAnswerSchema(prompt.output.schema, prompt.name)
      : undefined;
  const checks = compileOutputChecks(prompt.output.checks, prompt.name);

  return (responseBody, row, choice = 0, parsedBody = undefined) => {
    const message = readAnswerMessage(responseBody, choice, parsedBody);
    const text = message.text;
    if (!message.readable) return { status: 'invalid', issues: [{ path: '', message: message.reason }], text };
    if (message.ending === 'refused') {
      return { status: 'refused', issues: [{ path: '', message: `refused: ${message.reason}` }], text };
    }
    if (message.ending === 'truncated') {
      const issue = { path: '', message: `cut at the token limit (${message.reason})` };
      return { status: 'truncated', issues: [issue], text };
    }
    if (prompt.output.format === 'text') {
      if (text.trim() === '')
        return { status: 'invalid', issues: [{ path: '', message: 'the answer is empty' }], text };
      const issues = checks(text, row);
      return { status: issues.length === 0 ? 'valid' : 'invalid', value: text, issues, text };
    }
    const found = findJsonInText(text);
    if (found.kind === 'none') return { status: 'invalid', issues: [{ path: '', message: found.problem }], text };
    const repair: CheckIssue[] =
      found.kind === 'repaired'
        ? [{ path: '', message: `the JSON did not parse (${found.problem}); repaired with jsonrepair` }]
        : [];
    const issues: CheckIssue[] = [...(schema?.(found.value) ?? []), ...checks(found.value, row)];
    if (issues.length > 0) return { status: 'invalid', value: found.value, issues: [...repair, ...issues], text };
    return { status: repair.length > 0 ? 'repaired' : 'valid', value: found.value, issues: repair, text };
  };
}
