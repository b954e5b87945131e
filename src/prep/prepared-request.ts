/**
 * One OpenAI batch line, as `prepare` writes it to `requests.jsonl` (and `buildReask` rebuilds it for a re-ask).
 * Its own file, beside `prompt-spec.ts`, so the stages after prepare can use the type without the renderer.
 */
export interface PreparedRequest {
  custom_id: string;
  method: 'POST';
  url: '/v1/chat/completions';
  body: Record<string, unknown>;
}
