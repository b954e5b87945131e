import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PreparedRequest } from '../../../src/core/item.ts';
import { ProviderError } from '../../../src/errors/index.ts';
import { joinEndpointPath } from '../../../src/providers/openai/join-endpoint-path.ts';
import { createHttpConnections } from '../../../src/providers/http-connections.ts';
import { OpenAIRealtimeProvider } from '../../../src/providers/openai/openai-realtime-provider.ts';
import { answerKey, type SimulatorOptions } from '../../../src/simulator/index.ts';
import { withSimulator } from '../../helpers/start-simulator.ts';

const body = { model: 'm', messages: [{ role: 'user', content: 'hello there' }] };
const request: PreparedRequest = { method: 'POST', url: '/v1/chat/completions', body: JSON.stringify(body) };

async function sendOnce(options: SimulatorOptions, timeoutMs = 2000, apiKey: string | null = null) {
  return withSimulator(options, async (simulator) => {
    const provider = new OpenAIRealtimeProvider({ baseUrl: simulator.baseUrl, apiKey, connections: 2 });
    try {
      return await provider.send(request, { timeoutMs });
    } finally {
      await provider.close();
    }
  });
}

async function failureOf(options: SimulatorOptions, timeoutMs = 2000, apiKey: string | null = null) {
  try {
    await sendOnce(options, timeoutMs, apiKey);
  } catch (error) {
    assert.ok(error instanceof ProviderError);
    return error;
  }
  assert.fail('expected a ProviderError');
}

describe('OpenAIRealtimeProvider against the simulator', () => {
  it('sends through connections shared with other providers, which outlive a provider closing', async () => {
    await withSimulator({ latencyMs: 50 }, async (simulator) => {
      const shared = createHttpConnections(2);
      const first = new OpenAIRealtimeProvider({
        baseUrl: simulator.baseUrl,
        apiKey: null,
        connections: 64,
        sharedConnections: shared,
      });
      const second = new OpenAIRealtimeProvider({
        baseUrl: simulator.baseUrl,
        apiKey: null,
        connections: 64,
        sharedConnections: shared,
      });
      try {
        const answers = await Promise.all(
          [first, second, first, second, first, second].map(async (provider) =>
            provider.send(request, { timeoutMs: 5000 }),
          ),
        );
        assert.deepEqual(
          answers.map((answer) => answer.statusCode),
          [200, 200, 200, 200, 200, 200],
        );
        // Two connections for both providers together, not two each (no pipelining: one request per connection).
        assert.equal(simulator.stats().maxInFlight, 2);
        await first.close();
        assert.equal((await second.send(request, { timeoutMs: 5000 })).statusCode, 200);
      } finally {
        await second.close();
        await shared.destroy();
      }
    });
  });

  it('returns the raw body, request id and usage', async () => {
    const response = await sendOnce({});
    assert.equal(response.statusCode, 200);
    const parsed = JSON.parse(String(response.body)) as { choices: { message: { content: string } }[] };
    assert.ok(parsed.choices[0]?.message.content.startsWith(`sim:${answerKey('/v1/chat/completions', body)}`));
    assert.ok(response.requestId !== null);
    assert.ok(response.usage !== null && response.usage.inputTokens > 0);
  });

  it('maps each fault kind to a classified error', async () => {
    const http500 = await failureOf({ failureRates: { http500: 1 } });
    assert.equal(http500.kind, 'http');
    assert.equal(http500.status, 500);
    const http429 = await failureOf({ failureRates: { http429: 1 }, retryAfterMs: 250 });
    assert.equal(http429.status, 429);
    assert.equal(http429.retryAfterMs, 250);
    assert.equal((await failureOf({ failureRates: { resetBeforeResponse: 1 } })).kind, 'connection');
    const midBody = await failureOf({ failureRates: { resetMidBody: 1 } });
    assert.ok(midBody.kind === 'connection' || midBody.kind === 'malformed', midBody.kind);
    assert.equal((await failureOf({ failureRates: { malformed: 1 } })).kind, 'malformed');
    assert.equal((await failureOf({ failureRates: { hang: 1 } }, 300)).kind, 'timeout');
  });

  it('abandons every request in flight under a stop signal when it fires, and sends none under a fired one', async () => {
    await withSimulator({ failureRates: { hang: 1 } }, async (simulator) => {
      const provider = new OpenAIRealtimeProvider({ baseUrl: simulator.baseUrl, apiKey: null, connections: 1 });
      try {
        const stop = new AbortController();
        const other = new AbortController();
        // Two share the one connection: the second is still queued in the pool when the signal fires.
        const sent = [1, 2].map(() =>
          provider.send(request, { timeoutMs: 30_000, signal: stop.signal }).catch((error: unknown) => error),
        );
        const untouched = provider
          .send(request, { timeoutMs: 400, signal: other.signal })
          .catch((error: unknown) => error);
        stop.abort();
        for (const error of await Promise.all(sent)) {
          assert.ok(error instanceof ProviderError);
          assert.equal(error.kind, 'aborted');
        }
        // The request under another signal goes on to its own deadline.
        assert.equal(((await untouched) as ProviderError).kind, 'timeout');
        const before = simulator.stats().requests;
        const late = await provider
          .send(request, { timeoutMs: 30_000, signal: stop.signal })
          .catch((error: unknown) => error);
        assert.equal((late as ProviderError).kind, 'aborted');
        assert.equal(simulator.stats().requests, before);
      } finally {
        await provider.close();
      }
    });
  });

  it('sends the key and maps a refusal to AUTH_FAILED without the key in the error', async () => {
    const key = 'sk-test-provider-abcdefghijklmnop';
    const ok = await sendOnce({ apiKey: key }, 2000, key);
    assert.equal(ok.statusCode, 200);
    const refused = await failureOf({ apiKey: key }, 2000, 'sk-wrong-key-abcdefghijklmnop');
    assert.equal(refused.status, 401);
    assert.equal(refused.code, 'AUTH_FAILED');
    assert.ok(!JSON.stringify({ message: refused.message, body: refused.body }).includes('sk-wrong-key'));
  });
});

describe('joinEndpointPath', () => {
  it('keeps the version segment once', () => {
    assert.equal(joinEndpointPath('/v1', '/v1/chat/completions'), '/v1/chat/completions');
    assert.equal(joinEndpointPath('/v1/', '/v1/embeddings'), '/v1/embeddings');
    assert.equal(joinEndpointPath('/api/paas/v4', '/v4/chat/completions'), '/api/paas/v4/chat/completions');
    assert.equal(joinEndpointPath('/api/paas/v4', '/v1/chat/completions'), '/api/paas/v4/chat/completions');
    assert.equal(joinEndpointPath('', '/v1/chat/completions'), '/v1/chat/completions');
  });
});
