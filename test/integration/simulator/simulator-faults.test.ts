import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { request } from 'undici';
import { type SimulatorHandle, withSimulator } from '../../helpers/start-simulator.ts';
import { createTestAgent, postJson } from './post-json.ts';

const agent = createTestAgent();
after(() => agent.close());

const chatBody = { model: 'm', messages: [{ role: 'user', content: 'a fairly long question to make the body long' }] };

async function waitForIdle(simulator: SimulatorHandle): Promise<void> {
  while (simulator.stats().inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 5));
}

function sendChat(url: string, options: { signal?: AbortSignal } = {}): ReturnType<typeof request> {
  return request(`${url}/chat/completions`, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(chatBody),
    ...options,
  });
}

describe('simulator fault injection at rate 1', () => {
  it('answers 500 with an OpenAI error body', async () => {
    await withSimulator({ failureRates: { http500: 1 } }, async (simulator) => {
      const answer = await postJson(agent, `${simulator.baseUrl}/chat/completions`, chatBody);
      assert.equal(answer.status, 500);
      assert.equal((JSON.parse(answer.text) as { error: { type: string } }).error.type, 'server_error');
      assert.equal(simulator.stats().faults.http500, 1);
      assert.deepEqual(simulator.stats().byStatus, { '500': 1 });
    });
  });

  it('answers 429 with both retry headers', async () => {
    await withSimulator({ failureRates: { http429: 1 }, retryAfterMs: 1500 }, async (simulator) => {
      const answer = await postJson(agent, `${simulator.baseUrl}/chat/completions`, chatBody);
      assert.equal(answer.status, 429);
      assert.equal(answer.headers['retry-after-ms'], '1500');
      assert.equal(answer.headers['retry-after'], '2');
      assert.equal(simulator.stats().faults.http429, 1);
    });
  });

  it('resets the connection before any response', async () => {
    await withSimulator({ failureRates: { resetBeforeResponse: 1 } }, async (simulator) => {
      await assert.rejects(sendChat(simulator.baseUrl), (error: Error & { code?: string }) => {
        assert.match(String(error.code), /ECONNRESET|UND_ERR_SOCKET/);
        return true;
      });
      await waitForIdle(simulator);
      assert.equal(simulator.stats().faults.resetBeforeResponse, 1);
      assert.deepEqual(simulator.stats().byStatus, {});
    });
  });

  it('cuts the body in the middle after a 200 status', async () => {
    await withSimulator({ failureRates: { resetMidBody: 1 } }, async (simulator) => {
      const response = await sendChat(simulator.baseUrl);
      assert.equal(response.statusCode, 200);
      assert.ok(Number(response.headers['content-length']) > 0);
      await assert.rejects(response.body.text());
      await waitForIdle(simulator);
      assert.equal(simulator.stats().faults.resetMidBody, 1);
      assert.equal(simulator.stats().answered200, 0);
      assert.deepEqual(simulator.stats().byStatus, {});
    });
  });

  it('hangs until the client gives up, and close() still resolves fast', async () => {
    await withSimulator({ failureRates: { hang: 1 }, hangMs: 60_000 }, async (simulator) => {
      const started = performance.now();
      // An AbortSignal timer is precise; undici's own headersTimeout ticks at about 1 s.
      await assert.rejects(sendChat(simulator.baseUrl, { signal: AbortSignal.timeout(200) }), { name: 'TimeoutError' });
      assert.ok(performance.now() - started < 1_000);
      const hungAgain = sendChat(simulator.baseUrl).catch((error: unknown) => error);
      while (simulator.stats().faults.hang < 2) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.ok(simulator.stats().inFlight >= 1);
      const closeStarted = performance.now();
      await simulator.close();
      assert.ok(performance.now() - closeStarted < 500);
      assert.ok((await hungAgain) instanceof Error);
    });
  });

  it('answers 200 application/json with a body that does not parse', async () => {
    await withSimulator({ failureRates: { malformed: 1 } }, async (simulator) => {
      const answer = await postJson(agent, `${simulator.baseUrl}/chat/completions`, chatBody);
      assert.equal(answer.status, 200);
      assert.match(String(answer.headers['content-type']), /application\/json/);
      assert.ok(answer.text.length > 0);
      assert.throws(() => JSON.parse(answer.text) as unknown, SyntaxError);
      assert.equal(simulator.stats().faults.malformed, 1);
      assert.equal(simulator.stats().answered200, 0);
    });
  });

  it('lets a retry succeed because faults follow call order, not the request', async () => {
    await withSimulator({ failureRates: { http500: 0.5 }, seed: 3 }, async (simulator) => {
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 20; attempt += 1) {
        statuses.push((await postJson(agent, `${simulator.baseUrl}/chat/completions`, chatBody)).status);
      }
      assert.ok(statuses.includes(500) && statuses.includes(200));
    });
  });
});

describe('simulator overload faults', () => {
  it('answers 503 overloaded and 529 overloaded_error, without retry headers', async () => {
    await withSimulator({ failureRates: { http503: 1 } }, async (simulator) => {
      const answer = await postJson(agent, `${simulator.baseUrl}/chat/completions`, chatBody);
      assert.equal(answer.status, 503);
      assert.equal((JSON.parse(answer.text) as { error: { code: string } }).error.code, 'overloaded');
      assert.equal(answer.headers['retry-after'], undefined);
      assert.equal(simulator.stats().faults.http503, 1);
    });
    await withSimulator({ failureRates: { http529: 1 } }, async (simulator) => {
      const answer = await postJson(agent, `${simulator.baseUrl}/chat/completions`, chatBody);
      assert.equal(answer.status, 529);
      assert.equal((JSON.parse(answer.text) as { error: { type: string } }).error.type, 'overloaded_error');
      assert.equal(simulator.stats().faults.http529, 1);
    });
  });

  it('counts requests that arrive while a 429 retry-after runs', async () => {
    await withSimulator({ failureRates: { http429: 1 }, retryAfterMs: 60_000 }, async (simulator) => {
      await postJson(agent, `${simulator.baseUrl}/chat/completions`, chatBody);
      assert.equal(simulator.stats().duringRetryAfter, 0);
      await postJson(agent, `${simulator.baseUrl}/chat/completions`, chatBody);
      assert.equal(simulator.stats().duringRetryAfter, 1);
    });
  });
});
