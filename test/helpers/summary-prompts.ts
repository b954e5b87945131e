/** A prompts file of one plain-text prompt, `summary`, over a row's `text`: the smallest data job there is. */
export const SUMMARY_PROMPTS = [
  'defaults: { model: gpt-4o-mini, request: { max_tokens: 60 } }',
  'prompts:',
  '  summary:',
  '    text: "Summarise: {{ text }}"',
  '    output: { format: text }',
].join('\n');
