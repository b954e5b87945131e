import { createErrorBody } from './openai-error-body.ts';

/** What an OpenAI-compatible server says when it sheds load (HTTP 503). */
export const OVERLOADED_503_BODY = createErrorBody(
  'The engine is currently overloaded, please try again later. (simulated)',
  'server_error',
  'overloaded',
);

/** Anthropic's answer when its API is overloaded (HTTP 529), in Anthropic's own error shape. */
export const OVERLOADED_529_BODY = JSON.stringify({
  type: 'error',
  error: { type: 'overloaded_error', message: 'Overloaded (simulated)' },
});
