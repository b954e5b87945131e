/**
 * One OpenAI batch line, as `prepare` writes it to `requests.jsonl`. (A re-ask is built from the stored item's
 * request, `core/item.ts`'s `PreparedRequest`, whose body is JSON text.)
 * Its own file, beside `prompt-spec.ts`, so the stages after prepare can use the type without the renderer.
 */
export interface PreparedRequest {
  custom_id: string;
  method: 'POST';
  url: '/v1/chat/completions';
  body: Record<string, unknown>;
}
