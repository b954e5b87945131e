import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createLineParser, type LineParserOptions, type ParsedLine } from '../../../src/input/parse-input-line.ts';

const MESSAGES = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: [{ type: 'text', text: 'héllo 😀' }] },
];

function parseRow(
  row: unknown,
  defaults?: Partial<LineParserOptions['defaults']>,
  messagesKey = 'messages',
): ParsedLine {
  const parser = createLineParser({
    format: 'messages',
    messagesKey,
    defaults: { model: 'default-model', request: {}, extraBody: {}, ...defaults },
  });
  const text = JSON.stringify(row);
  return parser.parse({ lineNo: 42, byteLength: Buffer.byteLength(text), text });
}

function bodyOf(parsed: ParsedLine): Record<string, unknown> {
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.reject.reason);
  return JSON.parse(parsed.request.body) as Record<string, unknown>;
}

function rejectReason(parsed: ParsedLine): string {
  assert.equal(parsed.ok, false, 'row should be rejected');
  return parsed.ok ? '' : parsed.reject.reason;
}

describe('message rows', () => {
  it('become a chat completion with the config model and request defaults, metadata left out', () => {
    const parsed = parseRow(
      { post_id: 'p1', category: 'news', messages: MESSAGES },
      { request: { max_tokens: 1024, temperature: 0.6 }, extraBody: { stop: [], top_k: 5 } },
    );
    assert.ok(parsed.ok);
    assert.equal(parsed.request.url, '/v1/chat/completions');
    assert.equal(parsed.request.method, 'POST');
    assert.deepEqual(bodyOf(parsed), {
      model: 'default-model',
      messages: MESSAGES,
      max_tokens: 1024,
      temperature: 0.6,
      stop: [],
      top_k: 5,
    });
    assert.deepEqual(Object.keys(bodyOf(parsed)).slice(0, 2), ['model', 'messages']);
  });

  it('let the row own generation parameters and extra_body win over the defaults', () => {
    const body = bodyOf(
      parseRow(
        {
          messages: MESSAGES,
          model: 'row-model',
          temperature: 0,
          max_completion_tokens: 7,
          response_format: { type: 'json_object' },
          seed: null,
          extra_body: { top_k: 1, temperature: 0.1 },
          note: 'not sent',
        },
        { request: { max_tokens: 1024, temperature: 0.6, seed: 3 }, extraBody: { top_k: 5 } },
      ),
    );
    assert.deepEqual(body, {
      model: 'row-model',
      messages: MESSAGES,
      max_tokens: 1024,
      temperature: 0.1,
      seed: 3,
      top_k: 1,
      max_completion_tokens: 7,
      response_format: { type: 'json_object' },
    });
  });

  it('take every known generation parameter from the row', () => {
    const parameters = {
      max_tokens: 1,
      max_completion_tokens: 2,
      temperature: 0.3,
      top_p: 0.9,
      stop: ['\n'],
      seed: 4,
      n: 2,
      presence_penalty: 0.1,
      frequency_penalty: 0.2,
      response_format: { type: 'text' },
      tools: [{ type: 'function', function: { name: 'f' } }],
      tool_choice: 'auto',
      logprobs: true,
      top_logprobs: 3,
      user: 'u1',
    };
    assert.deepEqual(bodyOf(parseRow({ messages: MESSAGES, ...parameters })), {
      model: 'default-model',
      messages: MESSAGES,
      ...parameters,
    });
  });

  it('merge an extra_body left inside request, and never let defaults replace the row messages', () => {
    const body = bodyOf(
      parseRow(
        { messages: MESSAGES },
        { request: { max_tokens: 5, extra_body: { a: 1 } }, extraBody: { messages: [] } },
      ),
    );
    assert.deepEqual(body, { model: 'default-model', messages: MESSAGES, max_tokens: 5, a: 1 });
  });

  it('read messages from input.messages_key and send them as messages', () => {
    const body = bodyOf(parseRow({ conversation: MESSAGES, messages: 'metadata' }, {}, 'conversation'));
    assert.deepEqual(body, { model: 'default-model', messages: MESSAGES });
  });

  it('take custom_id from custom_id, else id (numbers as text), else the line number', () => {
    const customIdOf = (row: Record<string, unknown>): string => {
      const parsed = parseRow({ messages: MESSAGES, ...row });
      assert.ok(parsed.ok);
      return parsed.customId;
    };
    assert.equal(customIdOf({ custom_id: 'c1', id: 'i1' }), 'c1');
    assert.equal(customIdOf({ id: 'i1' }), 'i1');
    assert.equal(customIdOf({ id: 17 }), '17');
    assert.equal(customIdOf({ custom_id: 5 }), '5');
    assert.equal(customIdOf({ custom_id: null, id: 'i2' }), 'i2');
    assert.equal(customIdOf({}), '42');
  });

  it('are rejected when no model is set anywhere', () => {
    const parsed = parseRow({ messages: MESSAGES }, { model: undefined });
    assert.match(rejectReason(parsed), /set "model" in batchpilot\.yaml/);
    assert.ok(!parsed.ok && !('custom_id' in parsed.reject), 'a line-number custom_id is not reported');
    assert.ok(parseRow({ messages: MESSAGES, model: 'row-model' }, { model: undefined }).ok);
  });

  it('are rejected with a reason naming the field, and the messages key when it is the problem', () => {
    assert.equal(
      rejectReason(parseRow({ prompt: 'hi' })),
      'missing "messages" array (input.messages_key is "messages")',
    );
    assert.equal(
      rejectReason(parseRow({ conversation: 'hi' }, {}, 'conversation')),
      '"conversation" must be an array, got string (input.messages_key is "conversation")',
    );
    assert.equal(
      rejectReason(parseRow({ messages: [] })),
      '"messages" must not be empty (input.messages_key is "messages")',
    );
    assert.equal(
      rejectReason(parseRow({ messages: ['hi', { content: 'x' }, { role: 1 }] })),
      '"messages[0]" must be an object, got string; missing "messages[1].role" string; "messages[2].role" must be a string, got number',
    );
    assert.equal(rejectReason(parseRow({ messages: MESSAGES, model: 5 })), '"model" must be a string, got number');
    assert.equal(
      rejectReason(parseRow({ messages: MESSAGES, extra_body: 'x' })),
      '"extra_body" must be an object, got string',
    );
    assert.equal(
      rejectReason(parseRow({ messages: MESSAGES, extra_body: { model: 3 } })),
      '"model" must be a non-empty string, got number',
    );
    assert.equal(
      rejectReason(parseRow({ messages: MESSAGES, custom_id: true })),
      '"custom_id" must be a string or number, got boolean',
    );
    assert.match(rejectReason(parseRow({ messages: MESSAGES, id: '' })), /^"id" must not be empty/);
    assert.equal(
      rejectReason(parseRow({ messages: MESSAGES, custom_id: 'x'.repeat(513) })),
      '"custom_id" is 513 characters, over the 512-character limit',
    );
  });

  it('keep an explicit custom_id in the reject', () => {
    const parsed = parseRow({ id: 'row-9', messages: 'oops' });
    assert.ok(!parsed.ok);
    assert.equal(parsed.reject.custom_id, 'row-9');
  });
});
