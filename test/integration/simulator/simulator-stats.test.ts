import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { SimulatorStats } from '../../../src/simulator/index.ts';
import { withSimulator } from '../../helpers/start-simulator.ts';
import { createTestAgent, getJson, postJson } from './post-json.ts';

const agent = createTestAgent();
after(() => agent.close());

function chatBody(content: string): unknown {
  return { model: 'm', messages: [{ role: 'user', content }] };
}

describe('simulator stats', () => {
  it('counts requests, statuses and duplicates', async () => {
    await withSimulator({}, async (simulator) => {
      const url = `${simulator.baseUrl}/chat/completions`;
      await postJson(agent, url, chatBody('same'));
      await postJson(agent, url, chatBody('same'));
      await postJson(agent, url, chatBody('other'));
      await postJson(agent, url, { model: 'm' });
      await getJson(agent, `${simulator.baseUrl}/models`);
      const stats = JSON.parse((await getJson(agent, `${simulator.url}/stats`)).text) as SimulatorStats;
      assert.equal(stats.requests, 5);
      assert.equal(stats.generationRequests, 4);
      assert.equal(stats.answered200, 3);
      assert.equal(stats.duplicates, 1);
      assert.deepEqual(stats.byStatus, { '200': 4, '400': 1 });
      assert.deepEqual(simulator.stats(), stats);
    });
  });

  it('tells the same body on another path apart, and can stop tracking duplicates', async () => {
    await withSimulator({ trackDuplicates: false }, async (simulator) => {
      await postJson(agent, `${simulator.baseUrl}/chat/completions`, chatBody('same'));
      await postJson(agent, `${simulator.baseUrl}/chat/completions`, chatBody('same'));
      assert.equal(simulator.stats().duplicates, 0);
    });
    await withSimulator({}, async (simulator) => {
      await postJson(agent, `${simulator.baseUrl}/chat/completions`, chatBody('same'));
      await postJson(agent, `${simulator.url}/v4/chat/completions`, chatBody('same'));
      assert.equal(simulator.stats().duplicates, 0);
    });
  });

  it('tracks in-flight requests while they wait out their latency', async () => {
    await withSimulator({ latencyMs: 100 }, async (simulator) => {
      const url = `${simulator.baseUrl}/chat/completions`;
      const pending = Promise.all(
        Array.from({ length: 4 }, (_unused, index) => postJson(agent, url, chatBody(String(index)))),
      );
      while (simulator.stats().inFlight < 4) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal(simulator.stats().inFlight, 4);
      await pending;
      assert.equal(simulator.stats().inFlight, 0);
      assert.equal(simulator.stats().maxInFlight, 4);
    });
  });

  it('resets through POST /stats/reset and resetStats()', async () => {
    await withSimulator({}, async (simulator) => {
      await postJson(agent, `${simulator.baseUrl}/chat/completions`, chatBody('x'));
      const reset = JSON.parse((await postJson(agent, `${simulator.url}/stats/reset`, '')).text) as SimulatorStats;
      assert.equal(reset.requests, 0);
      assert.equal(reset.answered200, 0);
      await postJson(agent, `${simulator.baseUrl}/chat/completions`, chatBody('x'));
      assert.equal(simulator.stats().duplicates, 0);
      simulator.resetStats();
      assert.equal(simulator.stats().generationRequests, 0);
      assert.equal(simulator.stats().maxInFlight, 0);
    });
  });
});
