import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactRealtimeProvider } from '../../../src/compose/redact-provider.ts';
import type { ProviderResponse, RealtimeProvider } from '../../../src/providers/provider.ts';

/**
 * The provider's parsed body goes on to the answer's check only when redaction left the text as it was: an answer
 * that quoted the key is checked from its masked text, never from what the endpoint sent.
 */

const KEY = 'sk-test-secret-key-123456';

function answering(body: string): RealtimeProvider {
  return {
    name: 'fake',
    send: () =>
      Promise.resolve<ProviderResponse>({
        statusCode: 200,
        requestId: null,
        body,
        parsed: JSON.parse(body) as unknown,
        usage: null,
        rateLimit: null,
      }),
    close: () => Promise.resolve(),
  };
}

const request = { method: 'POST' as const, url: '/v1/chat/completions', body: '{}' };

describe('redactRealtimeProvider', () => {
  it('keeps the parsed body of an answer with nothing to mask', async () => {
    const body = JSON.stringify({ choices: [{ message: { content: 'fine' } }] });
    const response = await redactRealtimeProvider(answering(body), Object.freeze([KEY])).send(request, {
      timeoutMs: 1000,
    });
    assert.equal(response.body, body);
    assert.deepEqual(response.parsed, JSON.parse(body));
  });

  it('drops the parsed body of an answer that quoted the key: only the masked text goes on', async () => {
    const body = JSON.stringify({ choices: [{ message: { content: `your key is ${KEY}` } }] });
    const response = await redactRealtimeProvider(answering(body), Object.freeze([KEY])).send(request, {
      timeoutMs: 1000,
    });
    assert.ok(typeof response.body === 'string' && !response.body.includes(KEY), String(response.body));
    assert.equal(response.parsed, undefined);
    assert.ok(!JSON.stringify(response).includes(KEY));
  });
});
