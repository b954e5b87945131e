import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { readAnswerMessage } from '../../../src/validate/read-answer-message.ts';
import { anthropicAnswer, chatAnswer, responsesAnswer } from './prompt-fixture.ts';

describe('readAnswerMessage', () => {
  it('reads the text of each provider shape, complete', () => {
    for (const body of [
      chatAnswer('{"a":1}'),
      responsesAnswer([{ type: 'output_text', text: '{"a":1}' }]),
      anthropicAnswer('{"a":1}'),
      JSON.stringify({ choices: [{ text: '{"a":1}', finish_reason: 'stop' }] }),
      JSON.stringify({ choices: [{ message: { content: [{ type: 'text', text: '{"a":1}' }] } }] }),
    ]) {
      const message = readAnswerMessage(body);
      assert.deepEqual(
        { text: message.text, ending: message.ending, readable: message.readable },
        {
          text: '{"a":1}',
          ending: 'complete',
          readable: true,
        },
        body,
      );
    }
  });

  it('reads the arguments of a tool call when there is no text (JSON asked for through a forced tool)', () => {
    for (const body of [
      JSON.stringify({
        choices: [
          {
            message: {
              content: null,
              tool_calls: [{ type: 'function', function: { name: 'answer', arguments: '{"a":1}' } }],
            },
            finish_reason: 'tool_calls',
          },
        ],
      }),
      JSON.stringify({
        output: [{ type: 'function_call', name: 'answer', arguments: '{"a":1}' }],
        status: 'completed',
      }),
      JSON.stringify({ content: [{ type: 'tool_use', name: 'answer', input: { a: 1 } }], stop_reason: 'tool_use' }),
    ]) {
      const message = readAnswerMessage(body);
      assert.deepEqual({ text: message.text, ending: message.ending }, { text: '{"a":1}', ending: 'complete' }, body);
    }
    const both = JSON.stringify({
      content: [
        { type: 'text', text: 'prose' },
        { type: 'tool_use', input: {} },
      ],
    });
    assert.equal(readAnswerMessage(both).text, 'prose');
  });

  it('reads a cut answer as truncated in each provider shape', () => {
    for (const body of [
      chatAnswer('{"a":', { finish_reason: 'length' }),
      responsesAnswer([{ type: 'output_text', text: '{"a":' }], 'max_output_tokens'),
      anthropicAnswer('{"a":', 'max_tokens'),
    ]) {
      assert.equal(readAnswerMessage(body).ending, 'truncated', body);
    }
  });

  it('reads a refusal in each provider shape, and a refusal wins over a cut', () => {
    for (const body of [
      chatAnswer(null, { refusal: 'I cannot help with that.' }),
      chatAnswer(null, { refusal: 'No.', finish_reason: 'length' }),
      chatAnswer('', { finish_reason: 'content_filter' }),
      responsesAnswer([{ type: 'refusal', text: 'I cannot help with that.' }]),
      responsesAnswer([], 'content_filter'),
      anthropicAnswer('', 'refusal'),
    ]) {
      assert.equal(readAnswerMessage(body).ending, 'refused', body);
    }
  });

  it('keeps the refusal text as the reason', () => {
    assert.equal(readAnswerMessage(chatAnswer(null, { refusal: 'I cannot.' })).reason, 'I cannot.');
  });

  it('says so when the body is not JSON or not an answer', () => {
    assert.equal(readAnswerMessage('not json').readable, false);
    assert.equal(readAnswerMessage('{"error":{"message":"x"}}').readable, false);
    assert.equal(readAnswerMessage('[1,2]').readable, false);
  });
});
