import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createLineParser, type ParsedLine } from '../../../src/input/parse-input-line.ts';

function parseBatchLine(line: unknown): ParsedLine {
  const parser = createLineParser({
    format: 'openai_batch',
    messagesKey: 'messages',
    defaults: { model: 'default-model', request: { max_tokens: 9 }, extraBody: {} },
  });
  const text = typeof line === 'string' ? line : JSON.stringify(line);
  return parser.parse({ lineNo: 3, byteLength: Buffer.byteLength(text), text });
}

function rejectReason(line: unknown): string {
  const parsed = parseBatchLine(line);
  assert.equal(parsed.ok, false, 'line should be rejected');
  return parsed.ok ? '' : parsed.reject.reason;
}

const VALID = {
  custom_id: 'req-1',
  method: 'POST',
  url: '/v1/chat/completions',
  body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hé 😀' }], max_tokens: 10 },
};

describe('OpenAI batch lines', () => {
  it('become a POST to the line url with the body as JSON text, untouched by the defaults', () => {
    const parsed = parseBatchLine(VALID);
    assert.ok(parsed.ok);
    assert.equal(parsed.customId, 'req-1');
    assert.equal(parsed.request.method, 'POST');
    assert.equal(parsed.request.url, '/v1/chat/completions');
    assert.deepEqual(JSON.parse(parsed.request.body), VALID.body);
  });

  it('take every accepted url, under /v1/ and /v4/, with method optional or null', () => {
    for (const endpoint of ['chat/completions', 'responses', 'embeddings', 'completions']) {
      for (const version of ['v1', 'v4']) {
        const { method: _method, ...withoutMethod } = VALID;
        const parsed = parseBatchLine({ ...withoutMethod, url: `/${version}/${endpoint}` });
        assert.ok(parsed.ok, `/${version}/${endpoint}`);
      }
    }
    assert.ok(parseBatchLine({ ...VALID, method: null }).ok);
  });

  it('keep the body text as written, whitespace included, and its last duplicate', () => {
    const text = '{"custom_id":"a","url":"/v1/embeddings","body": {"input": "x",  "model": "m"},"body":{"input":"y"}}';
    const parsed = parseBatchLine(text);
    assert.ok(parsed.ok);
    assert.equal(parsed.request.body, '{"input":"y"}');
  });

  it('serialise the parsed body when a top-level key is escaped', () => {
    const parsed = parseBatchLine('{"custom_id":"a","url":"/v1/embeddings","\\u0062ody":{"input":"z"}}');
    assert.ok(parsed.ok);
    assert.equal(parsed.request.body, '{"input":"z"}');
  });

  it('are rejected with a reason naming the field and the fix', () => {
    assert.equal(rejectReason({ ...VALID, custom_id: 12 }), '"custom_id" must be a string, got number');
    assert.equal(rejectReason({ ...VALID, custom_id: '' }), '"custom_id" must not be empty');
    assert.equal(
      rejectReason({ ...VALID, custom_id: 'x'.repeat(513) }),
      '"custom_id" is 513 characters, over the 512-character limit',
    );
    assert.equal(rejectReason({ ...VALID, method: 'GET' }), '"method" must be "POST", got "GET"');
    assert.equal(
      rejectReason({ ...VALID, url: 'v1/chat/completions' }).startsWith(
        '"url" "v1/chat/completions" is not supported; use one of /v1/chat/completions',
      ),
      true,
    );
    assert.match(rejectReason({ ...VALID, url: '/v1/images/generations' }), /\/v4\/completions$/);
    assert.equal(rejectReason({ ...VALID, url: 7 }), '"url" must be a string, got number');
    assert.equal(rejectReason({ ...VALID, body: 'text' }), '"body" must be an object, got string');
    assert.equal(rejectReason({ ...VALID, body: [] }), '"body" must be an object, got array');
    const { custom_id: _customId, ...withoutCustomId } = VALID;
    assert.equal(rejectReason(withoutCustomId), 'missing "custom_id" string');
    assert.equal(rejectReason({ custom_id: 'a', body: {} }), 'missing "url" string');
  });

  it('keep the custom_id in the reject when it was readable', () => {
    const parsed = parseBatchLine({ ...VALID, url: '/v2/x' });
    assert.ok(!parsed.ok);
    assert.equal(parsed.reject.custom_id, 'req-1');
    assert.equal(parsed.reject.line, 3);
    const unreadable = parseBatchLine({ ...VALID, custom_id: 5, url: '/v2/x' });
    assert.ok(!unreadable.ok);
    assert.equal('custom_id' in unreadable.reject, false);
  });
});
