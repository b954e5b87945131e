import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { SimulatorHandle, StructuredRates } from '../../../src/simulator/index.ts';
import { SCHEMAS } from '../../fixtures/structured/schemas.ts';
import { withSimulator } from '../../helpers/start-simulator.ts';
import { createTestSeed } from '../../helpers/test-seed.ts';

/**
 * Structured answers over HTTP on 127.0.0.1: chat/completions and responses in realtime, OpenAI batch output lines
 * and Anthropic batch results, each checked against its schema with ajv; the faults at rate 1; the stats.
 */

const seed = createTestSeed(import.meta.url);
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats.default(ajv);

interface ChatAnswer {
  choices: { message: { content: string | null; refusal: string | null }; finish_reason: string }[];
}

function chatBody(schemaName: string, index: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: 'glm-4-air',
    messages: [
      { role: 'system', content: 'You are a careful annotator.' },
      { role: 'user', content: `Post ${String(index)}: the river was calm today.` },
    ],
    response_format: {
      type: 'json_schema',
      json_schema: { name: schemaName, strict: true, schema: SCHEMAS[schemaName] },
    },
    ...extra,
  };
}

async function post<T>(url: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 200, `${url}: ${String(response.status)}\n${seed.note}`);
  return (await response.json()) as T;
}

async function waitForEnd(url: string, field: 'status' | 'processing_status', headers: Record<string, string> = {}) {
  for (let tries = 0; tries < 500; tries += 1) {
    const body = (await (await fetch(url, { headers })).json()) as Record<string, unknown>;
    if (['completed', 'failed', 'ended'].includes(String(body[field]))) return body;
    await sleep(20);
  }
  assert.fail(`${url} did not end\n${seed.note}`);
}

function parseJsonl<T>(text: string): T[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);
}

function assertFits(schemaName: string, content: string | null): void {
  const validate = ajv.compile(SCHEMAS[schemaName]!);
  const value: unknown = JSON.parse(content ?? 'null');
  assert.ok(validate(value), `${schemaName}: ${ajv.errorsText(validate.errors)}\n${String(content)}\n${seed.note}`);
}

function run(structured: StructuredRates, fn: (simulator: SimulatorHandle) => Promise<void>): Promise<void> {
  return seed.withNote(() => withSimulator({ seed: seed.seed, structured, batchLifetimeMs: 200 }, fn));
}

describe('simulator structured answers over HTTP', () => {
  it('answers chat and responses requests with JSON that fits each schema, the same for the same request', async () => {
    await run({}, async (simulator) => {
      for (const schemaName of Object.keys(SCHEMAS)) {
        for (let index = 0; index < 5; index += 1) {
          const body = chatBody(schemaName, index);
          const first = await post<ChatAnswer>(`${simulator.baseUrl}/chat/completions`, body);
          assertFits(schemaName, first.choices[0]!.message.content);
          assert.equal(first.choices[0]!.finish_reason, 'stop', seed.note);
          const again = await post<ChatAnswer>(`${simulator.baseUrl}/chat/completions`, body);
          assert.equal(again.choices[0]!.message.content, first.choices[0]!.message.content, seed.note);
        }
        const responses = await post<{ output_text: string; status: string }>(`${simulator.baseUrl}/responses`, {
          model: 'gpt-4o-mini',
          input: 'Describe the post.',
          text: { format: { type: 'json_schema', name: schemaName, schema: SCHEMAS[schemaName] } },
        });
        assert.equal(responses.status, 'completed', seed.note);
        assertFits(schemaName, responses.output_text);
      }
      const plain = await post<ChatAnswer>(`${simulator.baseUrl}/chat/completions`, {
        model: 'm',
        messages: [{ role: 'user', content: 'hello' }],
      });
      assert.match(plain.choices[0]!.message.content!, /^sim:[0-9a-f]{16} hello$/, seed.note);
      const marker = await post<ChatAnswer>(`${simulator.baseUrl}/chat/completions`, {
        model: 'm',
        messages: [{ role: 'user', content: 'Answer with JSON: what is the mood?' }],
      });
      assert.equal(typeof JSON.parse(marker.choices[0]!.message.content!), 'object', seed.note);
      const stats = simulator.stats().structured;
      const count = Object.keys(SCHEMAS).length * 11 + 1;
      assert.equal(stats.answers, count, seed.note);
      assert.equal(stats.valid, count, seed.note);
    });
  });

  it('answers `n` choices, each drawn on its own and fitting the schema', async () => {
    await run({}, async (simulator) => {
      const answer = await post<ChatAnswer>(
        `${simulator.baseUrl}/chat/completions`,
        chatBody('sentiment', 1, { n: 3 }),
      );
      assert.deepEqual(
        answer.choices.map((choice) => (choice as { index?: number }).index),
        [0, 1, 2],
        seed.note,
      );
      for (const choice of answer.choices) assertFits('sentiment', choice.message.content);
      assert.equal(new Set(answer.choices.map((choice) => choice.message.content)).size, 3, seed.note);
      assert.equal(simulator.stats().structured.answers, 3, seed.note);
    });
  });

  it('answers each fault at rate 1, and counts it', async () => {
    const cases: { rates: StructuredRates; kind: string }[] = [
      { rates: { invalidJson: 1 }, kind: 'invalidJson' },
      { rates: { schemaBreak: 1 }, kind: 'schemaBreak' },
      { rates: { shortText: 1 }, kind: 'shortText' },
      { rates: { truncated: 1 }, kind: 'truncated' },
      { rates: { refusal: 1 }, kind: 'refusal' },
    ];
    for (const { rates, kind } of cases) {
      await run(rates, async (simulator) => {
        const validate = ajv.compile(SCHEMAS['artCritique']!);
        const answer = await post<ChatAnswer>(`${simulator.baseUrl}/chat/completions`, chatBody('artCritique', 1));
        const { message, finish_reason: finishReason } = answer.choices[0]!;
        const note = `${kind}: ${JSON.stringify(answer.choices[0])}\n${seed.note}`;
        switch (kind) {
          case 'invalidJson':
            assert.throws(() => JSON.parse(message.content!) as unknown, SyntaxError, note);
            break;
          case 'schemaBreak':
          case 'shortText':
            assert.equal(validate(JSON.parse(message.content!)), false, note);
            break;
          case 'truncated':
            assert.equal(finishReason, 'length', note);
            assert.throws(() => JSON.parse(message.content!) as unknown, SyntaxError, note);
            break;
          case 'refusal':
            assert.equal(message.content, null, note);
            assert.equal(typeof message.refusal, 'string', note);
            assert.equal(finishReason, 'stop', note);
            break;
        }
        if (kind !== 'truncated') assert.equal(finishReason, 'stop', note);
        if (kind !== 'refusal') assert.equal(message.refusal, null, note);
        const stats = simulator.stats().structured as unknown as Record<string, number>;
        assert.equal(stats[kind], 1, note);
        assert.equal(stats['answers'], 1, note);
      });
    }
  });

  it('answers responses requests with an incomplete response when truncated and a refusal part when refused', async () => {
    const body = {
      model: 'gpt-4o-mini',
      input: [{ role: 'user', content: 'Rate the post.' }],
      text: { format: { type: 'json_schema', name: 'sentiment', schema: SCHEMAS['sentiment'] } },
    };
    interface ResponsesAnswer {
      status: string;
      incomplete_details?: { reason: string };
      output: { content: { type: string; refusal?: string; text?: string }[] }[];
    }
    await run({ truncated: 1 }, async (simulator) => {
      const answer = await post<ResponsesAnswer>(`${simulator.baseUrl}/responses`, body);
      assert.equal(answer.status, 'incomplete', seed.note);
      assert.equal(answer.incomplete_details?.reason, 'max_output_tokens', seed.note);
      assert.throws(() => JSON.parse(answer.output[0]!.content[0]!.text!) as unknown, SyntaxError, seed.note);
    });
    await run({ refusal: 1 }, async (simulator) => {
      const answer = await post<ResponsesAnswer>(`${simulator.baseUrl}/responses`, body);
      assert.equal(answer.status, 'completed', seed.note);
      assert.equal(answer.output[0]!.content[0]!.type, 'refusal', seed.note);
      assert.equal(typeof answer.output[0]!.content[0]!.refusal, 'string', seed.note);
    });
  });

  it('answers a feedback re-ask valid at reaskFixRate', async () => {
    await run({ schemaBreak: 1, reaskFixRate: 0.5 }, async (simulator) => {
      let fixed = 0;
      for (let index = 0; index < 100; index += 1) {
        const original = chatBody('sentiment', index);
        const first = await post<ChatAnswer>(`${simulator.baseUrl}/chat/completions`, original);
        const reask = {
          ...original,
          messages: [
            ...(original['messages'] as unknown[]),
            { role: 'assistant', content: first.choices[0]!.message.content },
            { role: 'user', content: 'Your previous answer did not pass validation:\n- /polarity: required' },
          ],
        };
        const second = await post<ChatAnswer>(`${simulator.baseUrl}/chat/completions`, reask);
        const validate = ajv.compile(SCHEMAS['sentiment']!);
        if (validate(JSON.parse(second.choices[0]!.message.content!))) fixed += 1;
      }
      const stats = simulator.stats().structured;
      assert.equal(stats.reasks, 100, seed.note);
      assert.equal(stats.reasksFixed, fixed, seed.note);
      assert.equal(stats.schemaBreak, 200 - fixed, seed.note);
      assert.ok(fixed > 30 && fixed < 70, `fixed ${String(fixed)} of 100 at 0.5\n${seed.note}`);
    });
  });

  it('puts the same structured answers into OpenAI batch output lines and Anthropic batch results', async () => {
    await run({ truncated: 0.3, refusal: 0.2 }, async (simulator) => {
      const bodies = Array.from({ length: 40 }, (_unused, index) => chatBody('publisherProfile', index));
      const realtime: ChatAnswer[] = [];
      for (const body of bodies) realtime.push(await post<ChatAnswer>(`${simulator.baseUrl}/chat/completions`, body));

      const lines = bodies.map((body, index) =>
        JSON.stringify({ custom_id: `r${String(index)}`, method: 'POST', url: '/v1/chat/completions', body }),
      );
      const form = new FormData();
      form.set('purpose', 'batch');
      form.set('file', new Blob([`${lines.join('\n')}\n`], { type: 'application/jsonl' }), 'input.jsonl');
      const file = (await (await fetch(`${simulator.baseUrl}/files`, { method: 'POST', body: form })).json()) as {
        id: string;
      };
      const batch = await post<{ id: string }>(`${simulator.baseUrl}/batches`, {
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      });
      const ended = await waitForEnd(`${simulator.baseUrl}/batches/${batch.id}`, 'status');
      const output = await (
        await fetch(`${simulator.baseUrl}/files/${String(ended['output_file_id'])}/content`)
      ).text();
      const outputLines = parseJsonl<{ custom_id: string; response: { body: ChatAnswer } }>(output);
      assert.equal(outputLines.length, 40, seed.note);
      const kinds = new Set<string>();
      for (const line of outputLines) {
        const index = Number(line.custom_id.slice(1));
        const choice = line.response.body.choices[0]!;
        assert.deepEqual(choice, realtime[index]!.choices[0], seed.note);
        kinds.add(
          choice.finish_reason === 'length' ? 'truncated' : choice.message.refusal !== null ? 'refusal' : 'valid',
        );
        if (choice.finish_reason === 'stop' && choice.message.refusal === null) {
          assertFits('publisherProfile', choice.message.content);
        }
      }
      assert.deepEqual([...kinds].sort(), ['refusal', 'truncated', 'valid'], seed.note);

      const headers = { 'anthropic-version': '2023-06-01' };
      const requests = Array.from({ length: 40 }, (_unused, index) => ({
        custom_id: `a${String(index)}`,
        params: {
          model: 'claude-sonnet-4-5',
          max_tokens: 1024,
          system: 'You are a careful annotator.',
          messages: [{ role: 'user', content: `Post ${String(index)}` }],
          output_config: { format: { type: 'json_schema', schema: SCHEMAS['sentiment'] } },
        },
      }));
      const created = await post<{ id: string }>(`${simulator.url}/v1/messages/batches`, { requests }, headers);
      const done = await waitForEnd(`${simulator.url}/v1/messages/batches/${created.id}`, 'processing_status', headers);
      const results = parseJsonl<{
        result: { type: string; message: { content: { text: string }[]; stop_reason: string } };
      }>(await (await fetch(String(done['results_url']), { headers })).text());
      const stops = new Set<string>();
      for (const { result } of results) {
        assert.equal(result.type, 'succeeded', seed.note);
        stops.add(result.message.stop_reason);
        if (result.message.stop_reason === 'end_turn') assertFits('sentiment', result.message.content[0]!.text);
        if (result.message.stop_reason === 'refusal') assert.deepEqual(result.message.content, [], seed.note);
      }
      assert.deepEqual([...stops].sort(), ['end_turn', 'max_tokens', 'refusal'], seed.note);
      const stats = simulator.stats().structured;
      assert.equal(stats.answers, 120, seed.note);
      assert.equal(stats.valid + stats.truncated + stats.refusal, 120, seed.note);
    });
  });
});
