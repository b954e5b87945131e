import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { answerKey, answerText } from '../../../src/simulator/index.ts';
import { withSimulator } from '../../helpers/start-simulator.ts';
import { createTestAgent, getJson, postJson } from './post-json.ts';

const agent = createTestAgent();
after(() => agent.close());

interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
  input_tokens?: number;
  output_tokens?: number;
  total_tokens: number;
}

describe('simulator endpoints', () => {
  it('answers chat completions deterministically, with usage and a request id', async () => {
    await withSimulator({}, async (simulator) => {
      const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Name a colour.' }], temperature: 0 };
      const first = await postJson(agent, `${simulator.baseUrl}/chat/completions`, body);
      const second = await postJson(agent, `${simulator.baseUrl}/chat/completions`, body);
      assert.equal(first.status, 200);
      assert.match(String(first.headers['x-request-id']), /^req_\d+$/);
      assert.notEqual(first.headers['x-request-id'], second.headers['x-request-id']);
      const parsed = JSON.parse(first.text) as {
        object: string;
        model: string;
        choices: { message: { role: string; content: string }; finish_reason: string }[];
        usage: Usage;
      };
      assert.equal(parsed.object, 'chat.completion');
      assert.equal(parsed.model, 'gpt-4o-mini');
      assert.equal(parsed.choices[0]!.message.role, 'assistant');
      assert.equal(parsed.choices[0]!.finish_reason, 'stop');
      assert.equal(parsed.choices[0]!.message.content, `sim:${answerKey('/v1/chat/completions', body)} Name a colour.`);
      assert.equal(parsed.usage.total_tokens, parsed.usage.prompt_tokens! + parsed.usage.completion_tokens!);
      const again = JSON.parse(second.text) as typeof parsed;
      assert.equal(again.choices[0]!.message.content, parsed.choices[0]!.message.content);
      assert.deepEqual(again.usage, parsed.usage);
    });
  });

  it('answers completions, embeddings and responses', async () => {
    await withSimulator({}, async (simulator) => {
      const completionBody = { model: 'm', prompt: 'Once upon a time' };
      const completion = JSON.parse(
        (await postJson(agent, `${simulator.baseUrl}/completions`, completionBody)).text,
      ) as {
        object: string;
        choices: { text: string }[];
        usage: Usage;
      };
      assert.equal(completion.object, 'text_completion');
      assert.equal(completion.choices[0]!.text, answerText('completions', completionBody));
      assert.ok(completion.usage.prompt_tokens! > 0 && completion.usage.completion_tokens! > 0);

      const embeddingBody = { model: 'text-embedding-3-small', input: ['a', 'bb', 'ccc'] };
      const embeddings = JSON.parse((await postJson(agent, `${simulator.baseUrl}/embeddings`, embeddingBody)).text) as {
        object: string;
        data: { index: number; embedding: number[] }[];
        usage: Usage;
      };
      assert.equal(embeddings.object, 'list');
      assert.deepEqual(
        embeddings.data.map((entry) => [entry.index, entry.embedding.length]),
        [
          [0, 8],
          [1, 8],
          [2, 8],
        ],
      );
      assert.equal(embeddings.usage.prompt_tokens, embeddings.usage.total_tokens);

      const responseBody = { model: 'm', input: 'Say hi', instructions: 'be kind' };
      const response = JSON.parse((await postJson(agent, `${simulator.baseUrl}/responses`, responseBody)).text) as {
        object: string;
        output: { type: string; role: string; content: { type: string; text: string }[] }[];
        output_text: string;
        usage: Usage;
      };
      const expected = answerText('responses', responseBody);
      assert.equal(response.object, 'response');
      assert.equal(response.output_text, expected);
      assert.deepEqual(
        response.output.map((item) => [item.type, item.role, item.content[0]!.type, item.content[0]!.text]),
        [['message', 'assistant', 'output_text', expected]],
      );
      assert.equal(response.usage.total_tokens, response.usage.input_tokens! + response.usage.output_tokens!);
    });
  });

  it('serves the same endpoints under /v4/ and /api/paas/v4/', async () => {
    await withSimulator({}, async (simulator) => {
      const body = { model: 'glm-4-flash', messages: [{ role: 'user', content: 'hi' }] };
      for (const prefix of ['/v4', '/api/paas/v4']) {
        const answer = await postJson(agent, `${simulator.url}${prefix}/chat/completions`, body);
        assert.equal(answer.status, 200, prefix);
        assert.ok(answer.text.includes(answerKey('chat/completions', body)));
      }
    });
  });

  it('rejects bodies that are not JSON or lack messages with 400, and unknown paths with 404', async () => {
    await withSimulator({}, async (simulator) => {
      const notJson = await postJson(agent, `${simulator.baseUrl}/chat/completions`, '{"model":');
      assert.equal(notJson.status, 400);
      assert.equal((JSON.parse(notJson.text) as { error: { code: string } }).error.code, 'invalid_json');
      const noMessages = await postJson(agent, `${simulator.baseUrl}/chat/completions`, { model: 'm' });
      assert.equal(noMessages.status, 400);
      assert.equal((JSON.parse(noMessages.text) as { error: { param: string } }).error.param, 'messages');
      const unknown = await postJson(agent, `${simulator.baseUrl}/nothing-here`, {});
      assert.equal(unknown.status, 404);
      assert.ok((JSON.parse(unknown.text) as { error: { message: string } }).error.message);
      assert.equal((await getJson(agent, `${simulator.url}/elsewhere`)).status, 404);
      assert.equal((await getJson(agent, `${simulator.baseUrl}/chat/completions`)).status, 405);
      assert.deepEqual(simulator.stats().byStatus, { '400': 2, '404': 2, '405': 1 });
      assert.equal(simulator.stats().answered200, 0);
    });
  });

  it('lists models, finds any plausible id and 404s unknown ones', async () => {
    await withSimulator({}, async (simulator) => {
      const list = JSON.parse((await getJson(agent, `${simulator.baseUrl}/models`)).text) as {
        object: string;
        data: { id: string; object: string }[];
      };
      assert.equal(list.object, 'list');
      assert.ok(list.data.length > 0 && list.data.every((model) => model.object === 'model'));
      const found = await getJson(agent, `${simulator.baseUrl}/models/gpt-4o-mini`);
      assert.equal(found.status, 200);
      assert.equal((JSON.parse(found.text) as { id: string }).id, 'gpt-4o-mini');
      for (const id of ['unknown-model', 'nonexistent-1', 'bad%20id']) {
        const missing = await getJson(agent, `${simulator.baseUrl}/models/${id}`);
        assert.equal(missing.status, 404, id);
        assert.equal((JSON.parse(missing.text) as { error: { code: string } }).error.code, 'model_not_found');
      }
    });
  });

  it('applies latency to every answer', async () => {
    await withSimulator({ latencyMs: 80 }, async (simulator) => {
      const started = performance.now();
      const answer = await postJson(agent, `${simulator.baseUrl}/chat/completions`, { model: 'm' });
      assert.equal(answer.status, 400);
      assert.ok(performance.now() - started >= 75);
    });
  });
});
