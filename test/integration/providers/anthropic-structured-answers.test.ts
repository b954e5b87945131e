import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PreparedRequest } from '../../../src/core/item.ts';
import { loadPromptsFile } from '../../../src/prep/load-prompts.ts';
import { createRowRenderer } from '../../../src/prep/render-row.ts';
import type { PromptSpec } from '../../../src/prep/prompt-spec.ts';
import { AnthropicBatchProvider } from '../../../src/providers/anthropic/anthropic-batch-provider.ts';
import type { BatchLineResult, RemoteBatch } from '../../../src/providers/provider.ts';
import { createAnswerChecker } from '../../../src/validate/check-answer.ts';
import { SCHEMAS } from '../../fixtures/structured/schemas.ts';
import { withSimulator } from '../../helpers/start-simulator.ts';
import { createTempWorkspace, type TempWorkspace } from '../../helpers/temp-workspace.ts';
import { createTestSeed } from '../../helpers/test-seed.ts';

/**
 * Issue 12 §2 through the real Anthropic provider (decision 0021): prepared requests that ask for JSON with
 * `response_format` go to the simulator's Message Batches as Anthropic asks for it (`output_config.format`, or an
 * instruction in `system` for json_object), and every answer read back passes its prompt's checker.
 */

const seed = createTestSeed(import.meta.url);
const ROWS = 6;

const PROMPTS_YAML = `
defaults: { model: claude-sonnet-5, request: { max_tokens: 2048 } }
prompts:
  sentiment:
    system: "You are a careful annotator."
    text: "Rate the sentiment of: {{ text }}"
    output:
      schema: sentiment.schema.json
      checks: [{ path: reasons, min_items: 2 }]
  critique:
    text: "Critique the painting {{ title }} in Chinese."
    output:
      schema: critique.schema.json
      checks: [{ path: covered_dimensions, min_items: 18 }]
  topics:
    text: "List the topics of: {{ text }}"
    output: { format: json }
`;

/**
 * Keywords Anthropic's decoder refuses but prep's strict form keeps (`minItems: 18`, `minimum`/`maximum`): sent in
 * the node's description (the SDK's transform), where the simulator, like a model, still reads them. (`minLength` and
 * `uniqueItems` are left out: the strict form drops them for every provider, so no answer could know of them.)
 */
const CRITIQUE_SCHEMA = {
  type: 'object',
  properties: {
    critique_zh: { type: 'string', description: 'Chinese critique' },
    covered_dimensions: {
      type: 'array',
      minItems: 18,
      items: { enum: (SCHEMAS['artCritique']!['$defs'] as { dimension: { enum: string[] } }).dimension.enum },
    },
    rating: { type: 'integer', minimum: 1, maximum: 10 },
    summary: { type: 'string' },
  },
  required: ['critique_zh', 'covered_dimensions', 'rating'],
  additionalProperties: false,
};

async function waitForEnd(provider: AnthropicBatchProvider, id: string): Promise<RemoteBatch> {
  for (let tries = 0; tries < 400; tries += 1) {
    const batch = await provider.getBatch(id);
    if (batch.end !== null) return batch;
    await sleep(25);
  }
  assert.fail(`batch ${id} did not end\n${seed.note}`);
}

describe('structured answers through the Anthropic batch provider', () => {
  let temp: TempWorkspace;
  before(async () => {
    temp = await createTempWorkspace('batchpilot-anthropic-structured-');
    await temp.write('sentiment.schema.json', JSON.stringify(SCHEMAS['sentiment']));
    await temp.write('critique.schema.json', JSON.stringify(CRITIQUE_SCHEMA));
    await temp.write('prompts.yaml', PROMPTS_YAML);
  });
  after(() => temp.remove());

  it('asks for JSON the Anthropic way, and every answer is valid by its prompt', async () => {
    const set = await loadPromptsFile('prompts.yaml', temp.dir);
    const renderer = createRowRenderer(set);
    assert.deepEqual(
      set.prompts.map((prompt) => renderer.plans.get(prompt.name)?.kind),
      ['json_schema', 'json_schema', 'json_object'],
    );

    const items: { customId: string; prompt: PromptSpec; request: PreparedRequest }[] = [];
    for (let index = 0; index < ROWS; index += 1) {
      const row = { text: `post ${String(index)}: the river was calm today`, title: `Sunrise ${String(index)}` };
      for (const prompt of set.prompts) {
        const outcome = renderer.render(
          prompt,
          { index, key: String(index), row, where: `line ${String(index + 1)}` },
          4,
        );
        assert.equal(outcome.kind, 'requests');
        for (const prepared of outcome.requests) {
          items.push({
            customId: prepared.custom_id,
            prompt,
            request: { method: prepared.method, url: prepared.url, body: JSON.stringify(prepared.body) },
          });
        }
      }
    }

    await seed.withNote(() =>
      withSimulator({ seed: seed.seed, batchLifetimeMs: 200 }, async (simulator) => {
        const provider = new AnthropicBatchProvider({ baseUrl: simulator.url, apiKey: null, timeoutMs: 5000 });
        const lines = items.map((item, seq) =>
          provider.encodeLine(provider.remoteId(item.customId, seq), item.request),
        );
        const params = new Map(
          lines.map(({ line }) => {
            const parsed = JSON.parse(line) as { custom_id: string; params: Record<string, unknown> };
            return [parsed.custom_id, parsed.params] as const;
          }),
        );
        // What went to Anthropic: no response_format; a strict schema as output_config.format, json_object in system.
        for (const [customId, sent] of params) {
          assert.equal('response_format' in sent, false, customId);
          if (customId.startsWith('topics_')) {
            assert.equal(sent['output_config'], undefined, customId);
            assert.match(String(sent['system']), /^Answer with JSON only/, customId);
          } else {
            const format = (sent['output_config'] as { format: { type: string; schema: object } }).format;
            assert.equal(format.type, 'json_schema', customId);
          }
        }

        const path = await temp.write('chunk.jsonl', lines.map(({ line }) => `${line}\n`).join(''));
        const created = await provider.createBatch(
          { jobId: 'job-structured', chunkNo: 1 },
          { kind: 'inline', path, lineCount: lines.length, url: '/v1/chat/completions' },
        );
        const ended = await waitForEnd(provider, created.id);
        const results = new Map<string, BatchLineResult>();
        for await (const result of provider.readResults(ended)) results.set(result.customId ?? '', result);
        assert.equal(results.size, items.length);

        const checkers = new Map(set.prompts.map((prompt) => [prompt.name, createAnswerChecker(prompt)]));
        for (const item of items) {
          const result = results.get(item.customId);
          assert.ok(result?.kind === 'succeeded', `${item.customId}: ${JSON.stringify(result)}`);
          // The JSON came as Anthropic's text block (structured outputs), read by the same checker as any answer.
          const body = JSON.parse(result.body) as { anthropic_message: { content: { type: string }[] } };
          assert.deepEqual(
            body.anthropic_message.content.map((block) => block.type),
            ['text'],
          );
          const check = checkers.get(item.prompt.name)!(result.body, {});
          assert.equal(check.status, 'valid', `${item.customId}: ${JSON.stringify(check.issues)}`);
        }
      }),
    );
  });
  it('reads a forced-tool answer (a tool_use block from the simulator) as the answer, valid by its prompt', async () => {
    const set = await loadPromptsFile('prompts.yaml', temp.dir);
    const sentiment = set.prompts.find((prompt) => prompt.name === 'sentiment')!;
    const checker = createAnswerChecker(sentiment);
    await seed.withNote(() =>
      withSimulator({ seed: seed.seed, batchLifetimeMs: 200 }, async (simulator) => {
        const provider = new AnthropicBatchProvider({ baseUrl: simulator.url, apiKey: null, timeoutMs: 5000 });
        // Anthropic params written as they are: a tool whose input_schema is the schema, forced by tool_choice.
        const lines = Array.from({ length: 8 }, (_unused, index) =>
          JSON.stringify({
            custom_id: `tool_${String(index)}`,
            params: {
              model: 'claude-sonnet-5',
              max_tokens: 1024,
              messages: [{ role: 'user', content: `Rate post ${String(index)}` }],
              tools: [{ name: 'record_sentiment', input_schema: SCHEMAS['sentiment'] }],
              tool_choice: { type: 'tool', name: 'record_sentiment' },
            },
          }),
        );
        const path = await temp.write('tool-chunk.jsonl', lines.map((line) => `${line}\n`).join(''));
        const created = await provider.createBatch(
          { jobId: 'job-tool', chunkNo: 1 },
          { kind: 'inline', path, lineCount: lines.length, url: '/v1/chat/completions' },
        );
        const ended = await waitForEnd(provider, created.id);
        let read = 0;
        for await (const result of provider.readResults(ended)) {
          assert.ok(result.kind === 'succeeded', JSON.stringify(result));
          const body = JSON.parse(result.body) as {
            choices: { finish_reason: string }[];
            anthropic_message: { content: { type: string; name?: string }[]; stop_reason: string };
          };
          assert.deepEqual(
            body.anthropic_message.content.map((block) => [block.type, block.name]),
            [['tool_use', 'record_sentiment']],
          );
          assert.equal(body.choices[0]?.finish_reason, 'tool_calls');
          const check = checker(result.body, {});
          assert.equal(check.status, 'valid', `${String(result.customId)}: ${JSON.stringify(check.issues)}`);
          read += 1;
        }
        assert.equal(read, lines.length);
      }),
    );
  });
});
