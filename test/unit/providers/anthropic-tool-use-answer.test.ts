import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { convertAnthropicResult } from '../../../src/providers/anthropic/from-anthropic-result.ts';
import { createAnswerChecker } from '../../../src/validate/check-answer.ts';
import { makePrompt } from '../validate/prompt-fixture.ts';

/** A forced-tool answer (Claude's JSON as a tool_use block's input) read back through the Message Batches adapter. */

const schema = {
  type: 'object',
  properties: { polarity: { enum: ['positive', 'negative'] }, score: { type: 'number' } },
  required: ['polarity', 'score'],
  additionalProperties: false,
};

function succeeded(content: unknown[], stopReason = 'tool_use') {
  const message = {
    id: 'msg_01tool',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-5',
    content,
    stop_reason: stopReason,
    usage: { input_tokens: 10, output_tokens: 5 },
  };
  const result = convertAnthropicResult({ custom_id: 'sentiment_0001', result: { type: 'succeeded', message } }, 0);
  assert.ok(result.kind === 'succeeded');
  return result.body;
}

describe('an Anthropic tool_use answer', () => {
  it('becomes an OpenAI tool call, whose arguments are the answer the checker reads', () => {
    const body = succeeded([
      { type: 'tool_use', id: 'toolu_1', name: 'answer', input: { polarity: 'positive', score: 0.5 } },
    ]);
    const choice = (JSON.parse(body) as { choices: { message: Record<string, unknown>; finish_reason: string }[] })
      .choices[0]!;
    assert.deepEqual(choice.message['tool_calls'], [
      {
        id: 'toolu_1',
        type: 'function',
        function: { name: 'answer', arguments: '{"polarity":"positive","score":0.5}' },
      },
    ]);
    assert.equal(choice.finish_reason, 'tool_calls');
    const check = createAnswerChecker(makePrompt({ schema }))(body);
    assert.equal(check.status, 'valid', JSON.stringify(check.issues));
    assert.deepEqual(check.value, { polarity: 'positive', score: 0.5 });
  });

  it('leaves a text answer without tool_calls, and the text wins over a tool call', () => {
    const text = succeeded([{ type: 'text', text: '{"polarity":"negative","score":-1}' }], 'end_turn');
    assert.equal('tool_calls' in (JSON.parse(text) as { choices: { message: object }[] }).choices[0]!.message, false);
    const both = succeeded([
      { type: 'text', text: '{"polarity":"negative","score":-1}' },
      { type: 'tool_use', id: 'toolu_2', name: 'answer', input: { polarity: 'positive', score: 1 } },
    ]);
    assert.deepEqual(createAnswerChecker(makePrompt({ schema }))(both).value, { polarity: 'negative', score: -1 });
  });
});
