/** An OpenAI-shaped error body, ready to write. Clients parse `error.code` and `error.type`, so both are always set. */
export function createErrorBody(message: string, type: string, code: string, param: string | null = null): string {
  return JSON.stringify(createErrorObject(message, type, code, param));
}

/** The same body as an object, for error bodies nested inside batch output lines. */
export function createErrorObject(
  message: string,
  type: string,
  code: string,
  param: string | null = null,
): { error: { message: string; type: string; param: string | null; code: string } } {
  return { error: { message, type, param, code } };
}

export const SERVER_ERROR_BODY = createErrorBody(
  'The server had an error while processing your request. Sorry about that! (simulated)',
  'server_error',
  'server_error',
);

export const INJECTED_RATE_LIMIT_BODY = createErrorBody(
  'Rate limit reached for requests (simulated). Please try again later.',
  'rate_limit_exceeded',
  'rate_limit_exceeded',
);

export const RPM_LIMIT_BODY = createErrorBody(
  'Rate limit reached for requests per minute. Please try again after the delay in the retry-after-ms header.',
  'rate_limit_exceeded',
  'rate_limit_exceeded',
);

export const CONCURRENCY_LIMIT_BODY = createErrorBody(
  'Too many concurrent requests. Please try again shortly.',
  'rate_limit_exceeded',
  'rate_limit_exceeded',
);

// Never echo the key that was sent: the 401 body ends up in logs and errors.jsonl.
export const UNAUTHORIZED_BODY = createErrorBody(
  'Incorrect API key provided',
  'invalid_request_error',
  'invalid_api_key',
);

export const INVALID_JSON_BODY = createErrorBody(
  'We could not parse the JSON body of your request. The body must be valid JSON.',
  'invalid_request_error',
  'invalid_json',
);

export const BODY_TOO_LARGE_BODY = createErrorBody(
  'The request body is too large.',
  'invalid_request_error',
  'request_too_large',
);
