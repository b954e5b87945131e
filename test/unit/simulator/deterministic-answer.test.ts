import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { answerKey, answerText, embeddingVector } from '../../../src/simulator/index.ts';

const chatBody = {
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'be brief' },
    { role: 'user', content: 'What is the capital of France? Please answer in one word only.' },
  ],
};

describe('answerKey', () => {
  it('is 16 hex chars and the same for the same input', () => {
    const key = answerKey('chat/completions', chatBody);
    assert.match(key, /^[0-9a-f]{16}$/);
    assert.equal(answerKey('chat/completions', structuredClone(chatBody)), key);
  });

  it('ignores key order, sampling parameters and the API prefix', () => {
    const reordered = { messages: chatBody.messages, temperature: 0.7, max_tokens: 5, model: 'gpt-4o-mini' };
    const key = answerKey('chat/completions', chatBody);
    assert.equal(answerKey('chat/completions', reordered), key);
    assert.equal(answerKey('/v1/chat/completions', chatBody), key);
    assert.equal(answerKey('/v4/chat/completions', chatBody), key);
    assert.equal(answerKey('/api/paas/v4/chat/completions', chatBody), key);
  });

  it('changes with the model or the messages', () => {
    const key = answerKey('chat/completions', chatBody);
    assert.notEqual(answerKey('chat/completions', { ...chatBody, model: 'gpt-4o' }), key);
    const otherMessages = [{ role: 'user', content: 'What is the capital of Spain?' }];
    assert.notEqual(answerKey('chat/completions', { ...chatBody, messages: otherMessages }), key);
  });

  it('selects the generation input of each endpoint', () => {
    assert.equal(
      answerKey('completions', { model: 'm', prompt: 'p', suffix: 'x' }),
      answerKey('completions', { prompt: 'p', model: 'm' }),
    );
    assert.notEqual(
      answerKey('responses', { model: 'm', input: 'hi', instructions: 'a' }),
      answerKey('responses', { model: 'm', input: 'hi' }),
    );
    assert.equal(
      answerKey('embeddings', { model: 'm', input: ['a'], user: 'u' }),
      answerKey('embeddings', { model: 'm', input: ['a'] }),
    );
  });

  it('rejects an endpoint it does not serve', () => {
    assert.throws(() => answerKey('/v1/files', {}), RangeError);
  });
});

describe('answerText', () => {
  it('is sim:<key> and the first 40 chars of the last user message', () => {
    const key = answerKey('chat/completions', chatBody);
    assert.equal(answerText('chat/completions', chatBody), `sim:${key} What is the capital of France? Please an`);
  });

  it('joins the text parts of an array content', () => {
    const body = {
      model: 'm',
      messages: [
        {
          role: 'user',
          content: [{ type: 'text', text: 'one' }, { type: 'image_url' }, { type: 'text', text: 'two' }],
        },
      ],
    };
    assert.equal(answerText('chat/completions', body), `sim:${answerKey('chat/completions', body)} one two`);
  });

  it('quotes the prompt for completions and the last user input for responses', () => {
    const completion = { model: 'm', prompt: 'say hi' };
    assert.equal(answerText('completions', completion), `sim:${answerKey('completions', completion)} say hi`);
    const response = { model: 'm', input: [{ role: 'user', content: [{ type: 'input_text', text: 'hey' }] }] };
    assert.equal(answerText('responses', response), `sim:${answerKey('responses', response)} hey`);
  });
});

describe('embeddingVector', () => {
  it('gives 8 stable floats in [-1, 1] that differ by index', () => {
    const first = embeddingVector('abc', 0);
    assert.equal(first.length, 8);
    assert.deepEqual(embeddingVector('abc', 0), first);
    assert.notDeepEqual(embeddingVector('abc', 1), first);
    for (const value of first) assert.ok(value >= -1 && value <= 1);
  });
});
