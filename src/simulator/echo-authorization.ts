import { createSeededRandom } from './seeded-random.ts';

/**
 * The `echoAuthRate` fault: a careless endpoint that quotes the request back. With that
 * probability per answer (drawn from the seed and the request's sequence number, so the
 * other faults do not move), a JSON error body gets the request's `Authorization` header
 * in its message (`... Authorization: Bearer <key>`) and its bare value in
 * `error.echo`, and a 200 body gets it as a top-level `echo` field. What batchpilot must
 * never store, log or print verbatim. Batch result lines echo the header of the batch's
 * create request the same way (see build-openai-batch-output.ts).
 */
export function echoAuthorization(body: string, authorization: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return body;
  addEcho(parsed as Record<string, unknown>, authorization);
  return JSON.stringify(parsed);
}

/** Whether answer `sequence` echoes, at `rate`: a draw of its own, so the other faults do not move. */
export function drawsEcho(rate: number, seed: number, sequence: number): boolean {
  return rate > 0 && createSeededRandom(seed * 7919 + sequence)() < rate;
}

/**
 * Quotes `authorization` into a parsed answer body, in place: into `error.message` and
 * `error.echo` of an error body, else as a top-level `echo`. Batch result lines use it too.
 */
export function addEcho(body: Record<string, unknown>, authorization: string): void {
  const error = body['error'];
  if (typeof error === 'object' && error !== null) {
    const fields = error as Record<string, unknown>;
    const message = typeof fields['message'] === 'string' ? fields['message'] : 'error';
    fields['message'] = `${message} (request headers: Authorization: ${authorization})`;
    fields['echo'] = authorization.replace(/^Bearer /, '');
    return;
  }
  body['echo'] = authorization;
}
