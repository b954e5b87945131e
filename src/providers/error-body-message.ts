/**
 * The human message inside an error body, as OpenAI-compatible servers write it
 * (`{"error": {"message"}}`, `{"error": "..."}`, `{"message"}`); undefined when the body is
 * not JSON or carries none.
 */
export function errorBodyMessage(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown } | null;
    if (parsed === null || typeof parsed !== 'object') return undefined;
    if (typeof parsed.error === 'string') return parsed.error;
    if (typeof parsed.error?.message === 'string') return parsed.error.message;
    return typeof parsed.message === 'string' ? parsed.message : undefined;
  } catch {
    return undefined;
  }
}
