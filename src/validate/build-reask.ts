import type { PreparedRequest } from '../core/item.ts';
import type { PromptSpec } from '../prep/prompt-spec.ts';
import type { CheckIssue, StoredAnswerCheck } from './answer-check.ts';
import { readAnswerMessage } from './read-answer-message.ts';

/** What a re-ask of an answer is for; null when it is not re-asked (valid, repaired, or refused unless configured). */
export type ReaskKind = 'truncated' | 'invalid' | 'refused';

/**
 * Whether an answer gets another try: `invalid` and `truncated` always (while `reask.max` lasts), `refused` only with
 * `reask.refused`. A `repaired` answer passed the schema and checks, so it is kept, not paid for again.
 */
export function decideReask(check: StoredAnswerCheck, prompt: PromptSpec, reasksDone: number): ReaskKind | null {
  if (reasksDone >= prompt.reask.max) return null;
  switch (check.status) {
    case 'truncated':
    case 'invalid':
      return check.status;
    case 'refused':
      return prompt.reask.refused ? 'refused' : null;
    case 'valid':
    case 'repaired':
      return null;
  }
}

/** The opening every feedback message has: the simulator (and a reader of the log) tells a re-ask by it. */
export const FEEDBACK_OPENING = 'Your previous answer';

/** The token-limit keys, in the order one is looked for in a body: the first present is the one raised. */
const TOKEN_LIMIT_KEYS = ['max_completion_tokens', 'max_output_tokens', 'max_tokens'] as const;

/**
 * The request that re-ask `reaskNo` (1, 2, ...) of an item sends, built from its original request line (pure, no I/O).
 *
 * - `truncated`: the same request with its token limit (`max_tokens`, or `max_completion_tokens` /
 *   `max_output_tokens` when that is the key used) at `original × 2^reaskNo`, at most `reask.truncated_max_tokens`
 *   (never below the original); a body with no limit gets the ceiling.
 * - `invalid` with `reask.invalid: feedback` (the Instructor approach): the original messages, the model's answer as
 *   an assistant turn, and one user message that starts with `Your previous answer`, lists each issue as
 *   `path: message` on a line of its own, and asks for the corrected answer only. A body without `messages` (or a
 *   Responses `input`) falls back to resampling.
 * - `invalid` with `resample`, and `refused` (only re-asked when configured): the same request with `seed: reaskNo`;
 *   the temperature is kept.
 *
 * Every re-ask asks for one answer: an `n` of the original is left out (a prompts file refuses `n`, but a request
 * line of one's own may carry it). The re-ask stands for the one answer the item keeps, read from choice 0; more
 * choices would be paid for and dropped.
 */
export function buildReask(
  original: PreparedRequest,
  prompt: PromptSpec,
  previous: { responseBody: string | Uint8Array; check: StoredAnswerCheck },
  reaskNo: number,
): PreparedRequest {
  const { n: _choices, ...body } = JSON.parse(original.body) as Record<string, unknown>;
  const { check } = previous;
  if (check.status === 'truncated') return withBody(original, raiseTokenLimit(body, original.url, prompt, reaskNo));
  if (check.status === 'invalid' && prompt.reask.invalid === 'feedback') {
    // The answer text is read again from the stored body: a check kept in the store carries no text.
    const answerText = readAnswerMessage(previous.responseBody).text;
    const withFeedback = appendFeedback(body, answerText, check.issues, prompt);
    if (withFeedback !== undefined) return withBody(original, withFeedback);
  }
  return withBody(original, { ...body, seed: reaskNo });
}

function raiseTokenLimit(
  body: Record<string, unknown>,
  url: string,
  prompt: PromptSpec,
  reaskNo: number,
): Record<string, unknown> {
  const ceiling = prompt.reask.truncated_max_tokens;
  const key =
    TOKEN_LIMIT_KEYS.find((name) => typeof body[name] === 'number') ??
    (url.endsWith('/responses') ? 'max_output_tokens' : 'max_tokens');
  const current = body[key];
  if (typeof current !== 'number') return { ...body, [key]: ceiling };
  const raised = Math.min(current * 2 ** reaskNo, ceiling);
  return { ...body, [key]: Math.max(current, raised) };
}

function appendFeedback(
  body: Record<string, unknown>,
  answerText: string,
  issues: readonly CheckIssue[],
  prompt: PromptSpec,
): Record<string, unknown> | undefined {
  // An empty assistant turn is refused by some APIs; the feedback then says the answer was empty on its own.
  const answer = answerText.trim() === '' ? [] : [{ role: 'assistant', content: answerText }];
  const turns = [...answer, { role: 'user', content: formatFeedback(issues, prompt) }];
  if (Array.isArray(body['messages'])) return { ...body, messages: [...(body['messages'] as unknown[]), ...turns] };
  const input = body['input'];
  if (typeof input === 'string') return { ...body, input: [{ role: 'user', content: input }, ...turns] };
  if (Array.isArray(input)) return { ...body, input: [...(input as unknown[]), ...turns] };
  return undefined;
}

/** The feedback message: the issues one per line as `path: message` (`(root)` for the whole answer). */
function formatFeedback(issues: readonly CheckIssue[], prompt: PromptSpec): string {
  const lines = issues.map((issue) => `- ${issue.path === '' ? '(root)' : issue.path}: ${issue.message}`);
  const ask =
    prompt.output.format === 'json'
      ? 'Reply with the corrected answer only: the JSON, with no other text.'
      : 'Reply with the corrected answer only, with no other text.';
  return [`${FEEDBACK_OPENING} did not pass validation:`, ...lines, ask].join('\n');
}

function withBody(original: PreparedRequest, body: Record<string, unknown>): PreparedRequest {
  return { ...original, body: JSON.stringify(body) };
}
