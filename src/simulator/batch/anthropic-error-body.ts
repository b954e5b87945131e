/** An Anthropic-shaped error body, ready to write: `{type: "error", error: {type, message}}`. */
export function createAnthropicErrorBody(type: string, message: string): string {
  return JSON.stringify({ type: 'error', error: { type, message } });
}

// Never echo the key that was sent: error bodies end up in logs.
export const ANTHROPIC_UNAUTHORIZED_BODY = createAnthropicErrorBody('authentication_error', 'invalid x-api-key');
