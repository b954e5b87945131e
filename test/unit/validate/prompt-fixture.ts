import type { OutputCheck, PromptSpec } from '../../../src/prep/prompt-spec.ts';

/** A prompt with the output spec and re-ask settings a test names; the rest as a prompts file would default it. */
export function makePrompt(
  output: { format?: 'json' | 'text'; schema?: Record<string, unknown>; checks?: OutputCheck[] } = {},
  reask: Partial<PromptSpec['reask']> = {},
): PromptSpec {
  return {
    name: 'critique',
    template: 'Critique {{title}}',
    samples: 1,
    request: {},
    output: {
      format: output.format ?? 'json',
      ...(output.schema === undefined ? {} : { schema: output.schema }),
      checks: output.checks ?? [],
      mode: 'provider',
    },
    reask: { max: 2, invalid: 'feedback', truncated_max_tokens: 4096, refused: false, ...reask },
  };
}

/** An OpenAI chat completion answering `content`. */
export function chatAnswer(content: string | null, extra: { finish_reason?: string; refusal?: string } = {}): string {
  return JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, ...(extra.refusal === undefined ? {} : { refusal: extra.refusal }) },
        finish_reason: extra.finish_reason ?? 'stop',
      },
    ],
  });
}

/** A Responses API answer. */
export function responsesAnswer(
  parts: { type: 'output_text' | 'refusal'; text: string }[],
  incompleteReason?: string,
): string {
  return JSON.stringify({
    id: 'resp_1',
    object: 'response',
    status: incompleteReason === undefined ? 'completed' : 'incomplete',
    incomplete_details: incompleteReason === undefined ? null : { reason: incompleteReason },
    output: [
      { type: 'reasoning', id: 'rs_1', summary: [], content: [{ type: 'reasoning_text', text: 'thinking' }] },
      {
        type: 'message',
        role: 'assistant',
        content: parts.map((part) =>
          part.type === 'refusal'
            ? { type: 'refusal', refusal: part.text }
            : { type: 'output_text', text: part.text, annotations: [] },
        ),
      },
    ],
  });
}

/** An Anthropic Messages answer. */
export function anthropicAnswer(text: string, stopReason = 'end_turn'): string {
  return JSON.stringify({
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    content: [
      { type: 'thinking', thinking: 'hmm', signature: 'x' },
      { type: 'text', text },
    ],
    stop_reason: stopReason,
  });
}
