import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PreparedRequest } from '../../../src/core/item.ts';
import { AnthropicBatchProvider } from '../../../src/providers/anthropic/anthropic-batch-provider.ts';
import { normalizeAnthropicBaseUrl } from '../../../src/providers/anthropic/normalize-anthropic-base-url.ts';
import {
  UnconvertibleRequestError,
  isChatCompletionsUrl,
  toMessagesParams,
} from '../../../src/providers/anthropic/to-messages-params.ts';

const provider = new AnthropicBatchProvider({ baseUrl: 'http://127.0.0.1:1', apiKey: null });

function convert(body: Record<string, unknown>, defaultMaxTokens = 1024) {
  return toMessagesParams(JSON.stringify(body), defaultMaxTokens);
}

describe('toMessagesParams', () => {
  it('lifts system and developer messages into `system` and keeps the conversation', () => {
    const params = convert({
      model: 'claude-sonnet-5',
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: 'first' },
        {
          role: 'developer',
          content: [
            { type: 'text', text: 'Answer in French.' },
            { type: 'text', text: 'No lists.' },
          ],
        },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: [{ type: 'text', text: 'second' }] },
      ],
    });
    assert.deepEqual(params, {
      model: 'claude-sonnet-5',
      max_tokens: 1024,
      system: 'Be terse.\n\nAnswer in French.\n\nNo lists.',
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: [{ type: 'text', text: 'second' }] },
      ],
    });
  });

  it('leaves `system` out when there is no system text, and puts an Anthropic-style top-level one first', () => {
    assert.equal('system' in convert({ model: 'm', messages: [{ role: 'user', content: 'x' }] }), false);
    assert.equal('system' in convert({ model: 'm', messages: [{ role: 'system', content: '' }] }), false);
    const params = convert({ model: 'm', system: 'top', messages: [{ role: 'system', content: 'lifted' }] });
    assert.equal(params.system, 'top\n\nlifted');
  });

  it('takes max_tokens, else max_completion_tokens, else the default', () => {
    assert.equal(convert({ model: 'm', messages: [], max_tokens: 10, max_completion_tokens: 20 }).max_tokens, 10);
    assert.equal(convert({ model: 'm', messages: [], max_completion_tokens: 20 }).max_tokens, 20);
    assert.equal(convert({ model: 'm', messages: [], max_tokens: null }, 77).max_tokens, 77);
    assert.equal(convert({ model: 'm', messages: [] }, 77).max_tokens, 77);
  });

  it('refuses a token limit Anthropic would refuse the whole batch for', () => {
    for (const value of [0, 1.5, '100', -3]) {
      assert.throws(() => convert({ model: 'm', messages: [], max_tokens: value }), UnconvertibleRequestError);
    }
    assert.throws(() => convert({ model: 'm', messages: [], max_completion_tokens: 0 }), UnconvertibleRequestError);
  });

  it('maps stop to stop_sequences', () => {
    assert.deepEqual(convert({ model: 'm', messages: [], stop: 'END' }).stop_sequences, ['END']);
    assert.deepEqual(convert({ model: 'm', messages: [], stop: ['a', 'b'] }).stop_sequences, ['a', 'b']);
    assert.equal(convert({ model: 'm', messages: [], stop: [] }).stop_sequences, undefined);
    assert.equal(convert({ model: 'm', messages: [], stop: null }).stop_sequences, undefined);
    assert.deepEqual(convert({ model: 'm', messages: [], stop_sequences: ['x'] }).stop_sequences, ['x']);
  });

  it('drops OpenAI-only keys and the sampling parameters, keeps thinking and an Anthropic metadata', () => {
    const params = convert({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      temperature: 0.2,
      top_p: 0.9,
      top_k: 5,
      n: 2,
      logprobs: true,
      top_logprobs: 3,
      response_format: { type: 'json_object' },
      stream: true,
      seed: 1,
      user: 'u',
      presence_penalty: 0.1,
      frequency_penalty: 0.1,
      tools: [],
      tool_choice: 'auto',
      service_tier: 'flex',
      store: true,
      thinking: { type: 'enabled', budget_tokens: 2000 },
      metadata: { user_id: 'abc' },
    });
    // `system` holds the json_object instruction (decision 0021; anthropic-output-format.test.ts).
    assert.deepEqual(Object.keys(params).sort(), ['max_tokens', 'messages', 'metadata', 'model', 'system', 'thinking']);
    assert.deepEqual(params.metadata, { user_id: 'abc' });
    const openAIMetadata = convert({ model: 'm', messages: [], metadata: { user_id: 'abc', team: 'x' } });
    assert.equal('metadata' in openAIMetadata, false);
  });

  it('converts content parts: text, image URLs and data URLs; passes other parts and roles on', () => {
    const params = convert({
      model: 'm',
      messages: [
        {
          role: 'user',
          name: 'dropped',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
            { type: 'input_audio', input_audio: {} },
          ],
        },
        { role: 'tool', content: 'result', tool_call_id: 't1' },
      ],
    });
    assert.deepEqual(params.messages, [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'look' },
          { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
          { type: 'input_audio', input_audio: {} },
        ],
      },
      { role: 'tool', content: 'result', tool_call_id: 't1' },
    ]);
  });

  it('refuses a body that is not an object with a messages array', () => {
    assert.throws(() => toMessagesParams('not json', 1), UnconvertibleRequestError);
    assert.throws(() => toMessagesParams('[]', 1), UnconvertibleRequestError);
    assert.throws(() => toMessagesParams('{"model":"m","prompt":"x"}', 1), UnconvertibleRequestError);
  });
});

describe('isChatCompletionsUrl', () => {
  it('accepts chat/completions under any version prefix, and nothing else', () => {
    for (const url of [
      '/v1/chat/completions',
      '/v4/chat/completions',
      'chat/completions',
      '/v1/chat/completions?x=1',
    ]) {
      assert.equal(isChatCompletionsUrl(url), true, url);
    }
    for (const url of ['/v1/completions', '/v1/embeddings', '/v1/responses', '/v1/chat/completions/extra']) {
      assert.equal(isChatCompletionsUrl(url), false, url);
    }
  });
});

describe('AnthropicBatchProvider.encodeLine and remoteId', () => {
  const request: PreparedRequest = {
    method: 'POST',
    url: '/v1/chat/completions',
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 }),
  };

  it('writes one line of {custom_id, params}', () => {
    const { line } = provider.encodeLine('item-1', request);
    assert.equal(line.includes('\n'), false);
    assert.deepEqual(JSON.parse(line), {
      custom_id: 'item-1',
      params: { model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] },
    });
  });

  it('throws a plain Error naming the line for an endpoint other than chat/completions', () => {
    assert.throws(
      () => provider.encodeLine('e-1', { ...request, url: '/v1/embeddings' }),
      (error: unknown) =>
        error instanceof Error && /chat\/completions/.test(error.message) && /e-1/.test(error.message),
    );
    assert.throws(() => provider.encodeLine('e-2', { ...request, body: '{"model":"m"}' }), /e-2/);
  });

  it('tells once per key which sampling parameters the input set but were not sent', () => {
    const noticing = new AnthropicBatchProvider({ baseUrl: 'http://127.0.0.1:1', apiKey: null });
    const line = (body: Record<string, unknown>): PreparedRequest => ({
      method: 'POST',
      url: '/v1/chat/completions',
      body: JSON.stringify({ model: 'claude-sonnet-5', messages: [{ role: 'user', content: 'hi' }], ...body }),
    });
    assert.deepEqual(noticing.encodeLine('a', line({})).notices, []);
    const b = noticing.encodeLine('b', line({ temperature: 0.3, top_k: 5 }));
    const encoded = JSON.parse(b.line) as {
      params: Record<string, unknown>;
    };
    assert.equal(encoded.params['temperature'], undefined);
    const [notice, ...more] = b.notices;
    assert.match(notice ?? '', /^temperature, top_k are set in the input but not sent to Anthropic/);
    assert.deepEqual(more, []);
    assert.deepEqual(noticing.encodeLine('c', line({ temperature: 1 })).notices, []);
    assert.match(noticing.encodeLine('d', line({ top_p: 0.9 })).notices[0] ?? '', /^top_p is set in the input/);
  });

  it('keeps ids Anthropic accepts and derives bp-<seq> for the rest', () => {
    assert.equal(provider.remoteId('row_42-a', 3), 'row_42-a');
    assert.equal(provider.remoteId('a'.repeat(64), 3), 'a'.repeat(64));
    assert.equal(provider.remoteId('a'.repeat(65), 3), 'bp-3');
    assert.equal(provider.remoteId('has space', 4), 'bp-4');
    assert.equal(provider.remoteId('dotted.id', 5), 'bp-5');
    assert.equal(provider.remoteId('', 6), 'bp-6');
    assert.equal(provider.remoteId('ünïcode', 7), 'bp-7');
    // An own id shaped like a derived one could collide with another item's: never used.
    assert.equal(provider.remoteId('bp-1', 9), 'bp-9');
    assert.equal(provider.remoteId('bp-x', 9), 'bp-x');
  });

  it('states its limits and rejects a bad default', async () => {
    assert.deepEqual(provider.limits, { maxRequests: 100_000, maxBytes: 256_000_000, oneModelPerBatch: false });
    assert.deepEqual(await provider.prepareInput({ jobId: 'j', chunkNo: 1 }, '/chunk.jsonl'), {
      kind: 'inline',
      path: '/chunk.jsonl',
    });
    assert.equal(provider.name, 'anthropic-batch');
    assert.throws(
      () => new AnthropicBatchProvider({ baseUrl: 'http://x', apiKey: null, defaultMaxTokens: 0 }),
      RangeError,
    );
  });
});

describe('normalizeAnthropicBaseUrl', () => {
  it('drops trailing slashes and a trailing /v1', () => {
    assert.equal(normalizeAnthropicBaseUrl('https://api.anthropic.com'), 'https://api.anthropic.com');
    assert.equal(normalizeAnthropicBaseUrl('https://api.anthropic.com/'), 'https://api.anthropic.com');
    assert.equal(normalizeAnthropicBaseUrl('https://api.anthropic.com/v1'), 'https://api.anthropic.com');
    assert.equal(normalizeAnthropicBaseUrl('http://127.0.0.1:8000/v1/'), 'http://127.0.0.1:8000');
    assert.equal(normalizeAnthropicBaseUrl('https://proxy.example/anthropic'), 'https://proxy.example/anthropic');
  });
});
