import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PreparedRequest } from '../../../src/core/item.ts';
import { ERROR_BODY_MAX_BYTES, ProviderError } from '../../../src/errors/index.ts';
import {
  OpenAIRealtimeProvider,
  type OpenAIRealtimeProviderOptions,
} from '../../../src/providers/openai/openai-realtime-provider.ts';
import { answerKey, type SimulatorOptions } from '../../../src/simulator/index.ts';
import { withSimulator } from '../../helpers/start-simulator.ts';

/** What one answer may cost the client, whatever the endpoint sends: max_response_bytes, idle_timeout_ms. */

const body = { model: 'm', messages: [{ role: 'user', content: 'how large can an answer be?' }] };
const request: PreparedRequest = { method: 'POST', url: '/v1/chat/completions', body: JSON.stringify(body) };

type Limits = Pick<OpenAIRealtimeProviderOptions, 'maxResponseBytes' | 'idleTimeoutMs'>;

async function send(options: SimulatorOptions, limits: Limits, timeoutMs = 30_000) {
  return withSimulator(options, async (simulator) => {
    const provider = new OpenAIRealtimeProvider({
      baseUrl: simulator.baseUrl,
      apiKey: null,
      connections: 1,
      ...limits,
    });
    try {
      return await provider.send(request, { timeoutMs });
    } finally {
      await provider.close();
    }
  });
}

async function failure(options: SimulatorOptions, limits: Limits, timeoutMs = 30_000): Promise<ProviderError> {
  try {
    await send(options, limits, timeoutMs);
  } catch (error) {
    assert.ok(error instanceof ProviderError, String(error));
    return error;
  }
  assert.fail('expected a ProviderError');
}

describe('OpenAIRealtimeProvider: bounded answers', () => {
  it('abandons an answer that never ends once it passes max_response_bytes', async () => {
    const error = await failure({ failureRates: { endless: 1 } }, { maxResponseBytes: 1_000_000 });
    assert.equal(error.kind, 'response_too_large');
    assert.equal(error.code, 'RESPONSE_TOO_LARGE');
    assert.equal(error.causeLabel, 'response_too_large');
    assert.ok((error.bodyBytes ?? 0) > 1_000_000);
  });

  it('refuses an answer announced over max_response_bytes, and takes one just under it whole', async () => {
    const over = await failure({ responseBytes: 2_000_000 }, { maxResponseBytes: 1_500_000 });
    assert.equal(over.code, 'RESPONSE_TOO_LARGE');
    const answer = await send({ responseBytes: 2_000_000 }, { maxResponseBytes: 2_100_000 });
    assert.ok(Buffer.byteLength(answer.body) >= 1_990_000);
    const parsed = JSON.parse(String(answer.body)) as { choices: { message: { content: string } }[] };
    assert.ok(parsed.choices[0]?.message.content.startsWith(`sim:${answerKey(request.url, body)}`));
    assert.ok(answer.usage !== null && answer.usage.inputTokens > 0, 'usage is read from a large answer too');
  });

  it('fails a body that stops arriving as a timeout after idle_timeout_ms, long before timeout_ms', async () => {
    const error = await failure({ failureRates: { stall: 1 } }, { idleTimeoutMs: 300 }, 600_000);
    assert.equal(error.kind, 'timeout');
    assert.equal(error.code, 'PROVIDER_FAILED');
  });

  it('keeps the head of a long error body and the length it had', async () => {
    const error = await failure({ failureRates: { http500: 1 }, errorBodyBytes: 5_000_000 }, {});
    assert.equal(error.status, 500);
    assert.ok(error.body !== undefined && Buffer.byteLength(error.body) <= ERROR_BODY_MAX_BYTES);
    assert.ok(error.body.startsWith('{"error":'), error.body.slice(0, 100));
    assert.ok(error.bodyBytes !== undefined && error.bodyBytes >= 4_990_000, String(error.bodyBytes));
  });
});
