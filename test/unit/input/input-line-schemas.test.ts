import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  getMessagesRowSchema,
  isValidMessagesRow,
  isValidOpenAIBatchLine,
  openAIBatchLineSchema,
} from '../../../src/input/input-line-schemas.ts';

const MESSAGE = { role: 'user', content: 'hi' };

const BATCH_LINES: Record<string, unknown>[] = [
  { custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: {} },
  { custom_id: 'a', url: '/v1/embeddings', body: { input: 'x' }, extra: 1 },
  { custom_id: 'a', method: null, url: '/x', body: {} },
  { custom_id: 'x'.repeat(512), url: '/x', body: {} },
  { custom_id: 'x'.repeat(513), url: '/x', body: {} },
  { custom_id: '', url: '/x', body: {} },
  { custom_id: 1, url: '/x', body: {} },
  { custom_id: 'a', method: 'GET', url: '/x', body: {} },
  { custom_id: 'a', method: 'post', url: '/x', body: {} },
  { custom_id: 'a', url: 1, body: {} },
  { custom_id: 'a', body: {} },
  { custom_id: 'a', url: '/x', body: [] },
  { custom_id: 'a', url: '/x', body: null },
  { custom_id: 'a', url: '/x' },
];

const ROWS: Record<string, unknown>[] = [
  { messages: [MESSAGE] },
  { messages: [MESSAGE, { role: 'assistant', content: null, tool_calls: [] }], model: 'm', extra_body: { a: 1 } },
  { messages: [MESSAGE], model: null, extra_body: null },
  { messages: [] },
  { messages: 'hi' },
  { messages: [MESSAGE, 'hi'] },
  { messages: [MESSAGE, null] },
  { messages: [MESSAGE, [MESSAGE]] },
  { messages: [{ content: 'x' }] },
  { messages: [{ role: 1 }] },
  { messages: [MESSAGE], model: '' },
  { messages: [MESSAGE], model: 3 },
  { messages: [MESSAGE], extra_body: [] },
  { messages: [MESSAGE], extra_body: 'x' },
  {},
];

describe('fast checks and schemas', () => {
  it('agree on OpenAI batch lines', () => {
    for (const line of BATCH_LINES) {
      assert.equal(isValidOpenAIBatchLine(line), openAIBatchLineSchema.safeParse(line).success, JSON.stringify(line));
    }
  });

  it('agree on message rows, for the default and a custom messages key', () => {
    for (const row of ROWS) {
      assert.equal(
        isValidMessagesRow(row, 'messages'),
        getMessagesRowSchema('messages').safeParse(row).success,
        JSON.stringify(row),
      );
      const { messages, ...rest } = row;
      const renamed = messages === undefined ? rest : { ...rest, chat: messages };
      assert.equal(
        isValidMessagesRow(renamed, 'chat'),
        getMessagesRowSchema('chat').safeParse(renamed).success,
        JSON.stringify(renamed),
      );
    }
  });
});
