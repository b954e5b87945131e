import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createLineParser, type ParsedLine } from '../../../src/input/parse-input-line.ts';

/** Issue 10 section 6, "messages": wrong-typed generation parameters and `stream: true` are rejects, never sent. */

function parse(format: 'messages' | 'openai_batch', row: unknown): ParsedLine {
  const parser = createLineParser({
    format,
    messagesKey: 'messages',
    defaults: { model: 'm', request: {}, extraBody: {} },
  });
  const text = JSON.stringify(row);
  return parser.parse({ lineNo: 1, byteLength: Buffer.byteLength(text), text });
}

const MESSAGES = [{ role: 'user', content: 'hi' }];
const batchLine = (body: Record<string, unknown>): unknown => ({
  custom_id: 'a',
  method: 'POST',
  url: '/v1/chat/completions',
  body: { model: 'm', messages: MESSAGES, ...body },
});

function reason(parsed: ParsedLine): string {
  assert.equal(parsed.ok, false, 'the line should be rejected');
  return parsed.ok ? '' : parsed.reject.reason;
}

describe('generation parameters are checked before sending', () => {
  it('a row with temperature "hot" is rejected naming the field', () => {
    assert.match(reason(parse('messages', { messages: MESSAGES, temperature: 'hot' })), /"temperature"/);
  });

  it('wrong types in a row, its extra_body and a batch line body are rejected', () => {
    assert.match(reason(parse('messages', { messages: MESSAGES, max_tokens: 1.5 })), /"max_tokens"/);
    assert.match(reason(parse('messages', { messages: MESSAGES, stop: [1] })), /"stop"/);
    assert.match(reason(parse('messages', { messages: MESSAGES, extra_body: { top_p: '1' } })), /extra_body\.top_p/);
    assert.match(reason(parse('openai_batch', batchLine({ temperature: 'hot' }))), /body\.temperature/);
  });

  it('"stream": true is rejected with a reason, wherever it is written', () => {
    assert.match(reason(parse('messages', { messages: MESSAGES, stream: true })), /stream/);
    assert.match(reason(parse('messages', { messages: MESSAGES, extra_body: { stream: true } })), /stream/);
    assert.match(reason(parse('openai_batch', batchLine({ stream: true }))), /body\.stream/);
  });

  it('right types, nulls, stream false and unknown keys pass', () => {
    const row = {
      messages: MESSAGES,
      temperature: 0.2,
      max_tokens: 16,
      stop: ['x'],
      logprobs: true,
      tool_choice: 'auto',
      seed: null,
      stream: false,
      top_k: 'anything',
    };
    assert.equal(parse('messages', row).ok, true);
    assert.equal(parse('openai_batch', batchLine({ temperature: 1, stream: false, logprobs: 3 })).ok, true);
  });
});
