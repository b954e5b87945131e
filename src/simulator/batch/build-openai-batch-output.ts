import { randomBytes } from 'node:crypto';
import { buildGenerationAnswer } from '../build-generation-answer.ts';
import { addEcho, drawsEcho } from '../echo-authorization.ts';
import { SERVER_ERROR_BODY, createErrorObject } from '../openai-error-body.ts';
import type { BatchStructuredAnswers } from './batch-structured-answers.ts';
import type { LineResult, SimulatedBatch } from './batch-store.ts';
import { JsonlWriter } from './jsonl-writer.ts';
import type { OpenAIBatchPayload } from './openai-batch-payload.ts';

export interface OpenAIBatchOutput {
  output: Buffer | undefined;
  errors: Buffer | undefined;
}

const SERVER_ERROR_OBJECT: unknown = JSON.parse(SERVER_ERROR_BODY);
const EXPIRED_ERROR = {
  code: 'batch_expired',
  message: 'This request could not be executed before the completion window expired.',
};
const CANCELLED_ERROR = {
  code: 'batch_cancelled',
  message: 'This request was not executed because the batch was cancelled.',
};

/**
 * The output and error files of an ended batch, in input order. Each line lands in exactly one of them:
 *   succeeded -> output: `{id, custom_id, response: {status_code: 200, request_id, body}, error: null}`, `body` being
 *                what the realtime endpoint answers for the same body (same deterministic text, usage included);
 *   failed / invalid -> error file, `response.status_code` 500 / 400 with an OpenAI error `body`, `error: null`;
 *   expired / cancelled -> error file, `response: null`, `error: {code: batch_expired | batch_cancelled, message}`.
 */
export function buildOpenAIBatchOutput(
  batch: SimulatedBatch<OpenAIBatchPayload>,
  resolveLine: (index: number) => LineResult,
  nextSequence: () => number,
  echo: { rate: number; seed: number } = { rate: 0, seed: 0 },
  structured?: BatchStructuredAnswers,
): OpenAIBatchOutput {
  const output = new JsonlWriter();
  const errors = new JsonlWriter();
  const authorization = batch.payload.echoAuthorization;
  /** A fresh body, with the create request's Authorization quoted in when this line draws the echo fault. */
  const echoed = <T>(index: number, body: T): T => {
    if (authorization === undefined || !drawsEcho(echo.rate, echo.seed, batch.number * 1_000_003 + index)) return body;
    const copy = structuredClone(body) as Record<string, unknown>;
    addEcho(copy, authorization);
    return copy as T;
  };
  const idPrefix = randomBytes(8).toString('hex');
  const { content, lineStarts, lineEnds, generationEndpoint } = batch.payload;
  for (let index = 0; index < batch.customIds.length; index += 1) {
    const suffix = `${idPrefix}${index.toString(16).padStart(6, '0')}`;
    const head = { id: `batch_req_${suffix}`, custom_id: batch.customIds[index]! };
    const requestId = `req_${suffix}`;
    const result = resolveLine(index);
    switch (result) {
      case 'succeeded':
      case 'invalid': {
        const line = content.toString('utf8', lineStarts[index], lineEnds[index]);
        const body = (JSON.parse(line) as { body: unknown }).body;
        const answer = buildGenerationAnswer(generationEndpoint, body, nextSequence(), structured?.options);
        if (answer.ok) {
          structured?.record(answer.structured);
          output.push({
            ...head,
            response: { status_code: 200, request_id: requestId, body: echoed(index, answer.payload) },
            error: null,
          });
        } else {
          const errorBody = createErrorObject(answer.message, 'invalid_request_error', answer.code, answer.param);
          errors.push({
            ...head,
            response: { status_code: 400, request_id: requestId, body: echoed(index, errorBody) },
            error: null,
          });
        }
        break;
      }
      case 'failed':
        errors.push({
          ...head,
          response: { status_code: 500, request_id: requestId, body: echoed(index, SERVER_ERROR_OBJECT) },
          error: null,
        });
        break;
      case 'expired':
        errors.push({ ...head, response: null, error: EXPIRED_ERROR });
        break;
      case 'cancelled':
      case 'pending':
        errors.push({ ...head, response: null, error: CANCELLED_ERROR });
        break;
    }
  }
  return { output: output.finish(), errors: errors.finish() };
}
