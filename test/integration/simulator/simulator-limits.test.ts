import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { withSimulator } from '../../helpers/start-simulator.ts';
import { createTestAgent, getJson, postJson } from './post-json.ts';

const agent = createTestAgent();
after(() => agent.close());

const chatBody = { model: 'm', messages: [{ role: 'user', content: 'hello' }] };

describe('simulator limits', () => {
  it('enforces rpm with a 429 carrying both retry headers', async () => {
    await withSimulator({ rpm: 120 }, async (simulator) => {
      const url = `${simulator.baseUrl}/chat/completions`;
      assert.equal((await postJson(agent, url, chatBody)).status, 200);
      assert.equal((await postJson(agent, url, chatBody)).status, 200);
      const limited = await postJson(agent, url, chatBody);
      assert.equal(limited.status, 429);
      const retryAfterMs = Number(limited.headers['retry-after-ms']);
      assert.ok(retryAfterMs >= 1 && retryAfterMs <= 500, String(retryAfterMs));
      assert.equal(limited.headers['retry-after'], '1');
      assert.equal((JSON.parse(limited.text) as { error: { code: string } }).error.code, 'rate_limit_exceeded');
      assert.equal(limited.headers['x-ratelimit-limit-requests'], undefined);
      await new Promise((resolve) => setTimeout(resolve, retryAfterMs + 5));
      assert.equal((await postJson(agent, url, chatBody)).status, 200);
      assert.equal(simulator.stats().faults.rateLimited, 1);
    });
  });

  it('sends x-ratelimit headers when asked', async () => {
    await withSimulator({ rpm: 600, rateLimitHeaders: true }, async (simulator) => {
      const answer = await postJson(agent, `${simulator.baseUrl}/chat/completions`, chatBody);
      assert.equal(answer.headers['x-ratelimit-limit-requests'], '600');
      assert.equal(answer.headers['x-ratelimit-remaining-requests'], '9');
      assert.match(String(answer.headers['x-ratelimit-reset-requests']), /^\d+ms$/);
    });
  });

  it('answers 429 past maxConcurrency and never lets more in flight', async () => {
    await withSimulator({ maxConcurrency: 2, latencyMs: 150 }, async (simulator) => {
      const url = `${simulator.baseUrl}/chat/completions`;
      const answers = await Promise.all(Array.from({ length: 5 }, () => postJson(agent, url, chatBody)));
      const statuses = answers.map((answer) => answer.status).sort();
      assert.deepEqual(statuses, [200, 200, 429, 429, 429]);
      const limited = answers.find((answer) => answer.status === 429)!;
      assert.equal(limited.headers['retry-after-ms'], '50');
      const stats = simulator.stats();
      assert.equal(stats.maxInFlight, 2);
      assert.equal(stats.faults.concurrencyLimited, 3);
      assert.equal(stats.inFlight, 0);
    });
  });

  it('requires the API key when one is set and never echoes it', async () => {
    const apiKey = 'sk-simulated-secret-4242';
    await withSimulator({ apiKey }, async (simulator) => {
      const url = `${simulator.baseUrl}/chat/completions`;
      const missing = await postJson(agent, url, chatBody);
      const wrong = await postJson(agent, url, chatBody, { authorization: `Bearer ${apiKey}x` });
      const right = await postJson(agent, url, chatBody, { authorization: `Bearer ${apiKey}` });
      assert.equal(missing.status, 401);
      assert.equal(wrong.status, 401);
      assert.equal(right.status, 200);
      for (const answer of [missing, wrong]) {
        const error = (JSON.parse(answer.text) as { error: { code: string; type: string } }).error;
        assert.equal(error.code, 'invalid_api_key');
        assert.equal(error.type, 'invalid_request_error');
        assert.ok(!answer.text.includes(apiKey));
        assert.ok(!answer.text.includes('4242'));
      }
      assert.equal((await getJson(agent, `${simulator.baseUrl}/models`)).status, 401);
      assert.equal(simulator.stats().faults.unauthorized, 3);
    });
  });
});
