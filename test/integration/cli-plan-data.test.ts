import assert from 'node:assert/strict';
import { mkdir, readdir } from 'node:fs/promises';
import { before, describe, it } from 'node:test';
import { describeResult, runCli, type CliResult } from '../helpers/run-cli.ts';
import { toJsonl } from '../helpers/temp-workspace.ts';
import { useCliWorkspace } from '../helpers/use-cli-workspace.ts';

/**
 * Issue 12 section 1, `plan DATA --prompts FILE`: the data is prepared in a private temp folder (gone afterwards, on
 * an error too), the prepared requests are planned as `plan INPUT` plans them, and the figures are broken down per
 * prompt: they add up to the totals, a `when` that skips rows and a row a template cannot render both show, and
 * planning goes on past the reject. (Errors and Ctrl-C: cli-plan-data-errors.test.ts.)
 */

interface Figures {
  items: number;
  input_tokens: number;
  output_tokens_bound: number;
  output_tokens_expected: number;
  cost_realtime_usd: number | null;
  cost_batch_usd: number | null;
}

interface PromptPlanOutput extends Figures {
  name: string;
  rows: number;
  requests: number;
  skipped: number;
  rejected: number;
  unpriced_models: string[];
}

interface DataPlanOutput {
  plan: {
    input: string;
    items: number;
    rejected: number;
    tokens: { input: number; output_bound: number; output_expected: number };
    cost: { realtime_usd: number; batch_usd: number };
    models: { model: string; items: number }[];
  };
  prepare: {
    counts: { rows: number; rejectedRows: number; requests: number; rejected: number; skipped: number };
    rejects_sample: { index: number; key: string; prompt: string | null; where: string; reason: string }[];
  };
  prompts: PromptPlanOutput[];
  models_checked: { model: string; exists: boolean }[];
  caps: { code: string }[];
}

/** 40 posts, every other one in Chinese; post p07 (English) has no text, which the sentiment template needs. */
const POSTS = Array.from({ length: 40 }, (_, index) => {
  const id = `p${String(index).padStart(2, '0')}`;
  const post: Record<string, unknown> = { id, lang: index % 2 === 0 ? 'zh' : 'en' };
  if (id !== 'p07') post['text'] = `post number ${String(index)} says something about item ${String(index * 3)}`;
  return JSON.stringify(post);
});

/** Two prompts on two models: `topic` asks twice per Chinese post only. */
const PROMPTS = [
  'defaults: { model: gpt-4o-mini, request: { temperature: 0.2, max_tokens: 256 } }',
  'prompts:',
  '  sentiment:',
  '    text: "Rate the sentiment of: {{ text }}"',
  '  topic:',
  '    text: "Topic of: {{ row.text }} (id {{ row.id }})"',
  '    when: "row.lang == \'zh\'"',
  '    samples: 2',
  '    model: gpt-4o',
  '    request: { max_tokens: 64 }',
].join('\n');

describe('plan DATA --prompts FILE', () => {
  const ws = useCliWorkspace({ prefix: 'batchpilot-plan-data-' });
  /** The child's TMPDIR: the plan's temp folder goes here, so a test can see it is gone. */
  let tmp = '';

  before(async () => {
    await ws.temp.write('posts.jsonl', toJsonl(POSTS));
    await ws.temp.write('prompts.yaml', PROMPTS);
    tmp = ws.temp.path('tmp');
    await mkdir(tmp);
  });

  const plan = (args: readonly string[], json = true): Promise<CliResult> =>
    runCli([...(json ? ['--json'] : []), 'plan', ...args, '--base-url', ws.sim.baseUrl], {
      cwd: ws.temp.dir,
      env: { TMPDIR: tmp },
    });

  const leftInTmp = async (): Promise<string[]> =>
    (await readdir(tmp)).filter((name) => name.startsWith('batchpilot-plan-'));

  it('breaks the plan down per prompt, the figures adding up to the totals; skips and rejects show', async () => {
    ws.sim.resetStats();
    const result = await plan(['posts.jsonl', '--prompts', 'prompts.yaml', '--data-key', 'id']);
    assert.equal(result.code, 0, describeResult(result));
    const output = JSON.parse(result.stdout) as DataPlanOutput;
    assert.equal(output.plan.input, ws.temp.path('posts.jsonl'));
    assert.deepEqual(output.prepare.counts, { rows: 40, rejectedRows: 0, requests: 79, rejected: 1, skipped: 20 });
    assert.deepEqual(
      output.prepare.rejects_sample.map((reject) => [reject.key, reject.prompt]),
      [['p07', 'sentiment']],
    );
    const [sentiment, topic] = output.prompts;
    assert.deepEqual(
      output.prompts.map((prompt) => prompt.name),
      ['sentiment', 'topic'],
    );
    assert.deepEqual(
      [sentiment?.rows, sentiment?.requests, sentiment?.skipped, sentiment?.rejected, sentiment?.items],
      [39, 39, 0, 1, 39],
    );
    assert.deepEqual(
      [topic?.rows, topic?.requests, topic?.skipped, topic?.rejected, topic?.items],
      [20, 40, 20, 0, 40],
    );
    assert.equal(topic?.output_tokens_bound, 40 * 64);
    assert.equal(sentiment?.output_tokens_bound, 39 * 256);

    const sum = (pick: (figures: Figures) => number | null): number =>
      output.prompts.reduce((total, prompt) => total + (pick(prompt) ?? 0), 0);
    assert.equal(
      sum((prompt) => prompt.items),
      output.plan.items,
    );
    assert.equal(
      sum((prompt) => prompt.input_tokens),
      output.plan.tokens.input,
    );
    assert.equal(
      sum((prompt) => prompt.output_tokens_bound),
      output.plan.tokens.output_bound,
    );
    assert.equal(
      sum((prompt) => prompt.output_tokens_expected),
      output.plan.tokens.output_expected,
    );
    // Each figure is rounded to 1/100 of a cent, the totals per model: they agree within that rounding.
    assert.ok(Math.abs(sum((prompt) => prompt.cost_realtime_usd) - output.plan.cost.realtime_usd) <= 0.0002);
    assert.ok(Math.abs(sum((prompt) => prompt.cost_batch_usd) - output.plan.cost.batch_usd) <= 0.0002);
    assert.ok((topic?.cost_realtime_usd ?? 0) > (sentiment?.cost_realtime_usd ?? 0), 'gpt-4o costs more');

    assert.deepEqual(output.models_checked.map((check) => check.model).sort(), ['gpt-4o', 'gpt-4o-mini']);
    assert.deepEqual(output.caps, []);
    assert.equal(ws.sim.stats().generationRequests, 0);
    assert.deepEqual(await leftInTmp(), []);
  });

  it('prints the per-prompt lines and the reject on the terminal', async () => {
    const result = await plan(['posts.jsonl', '--prompts', 'prompts.yaml', '--data-key', 'id'], false);
    assert.equal(result.code, 0, describeResult(result));
    assert.match(result.stdout, /^data {6}.*posts\.jsonl \(40 rows\) x 2 prompts: 79 requests, 20 skipped by when/m);
    assert.match(result.stdout, /^prompt {4}sentiment: 39 requests, 0 skipped by when, 1 rejected;/m);
    assert.match(result.stdout, /^prompt {4}topic: 40 requests, 20 skipped by when, 0 rejected;/m);
    assert.match(result.stdout, /\(sentiment\): row p07/);
    assert.deepEqual(await leftInTmp(), []);
  });

  it("takes the prompts from the config's prompts:, with a custom_id format of its own", async () => {
    const folder = ws.temp.path('cfg');
    await mkdir(folder);
    await ws.temp.write('cfg/posts.jsonl', toJsonl(POSTS));
    await ws.temp.write(
      'cfg/batchpilot.yaml',
      `data: { key: id }\nprompts:\n  custom_id: "{key}-{prompt}"\n${PROMPTS.split('\n')
        .map((line) => `  ${line}`)
        .join('\n')}\n`,
    );
    const result = await runCli(['--json', 'plan', 'posts.jsonl', '--base-url', ws.sim.baseUrl], {
      cwd: folder,
      env: { TMPDIR: tmp },
    });
    assert.equal(result.code, 0, describeResult(result));
    const output = JSON.parse(result.stdout) as DataPlanOutput;
    assert.deepEqual(
      output.prompts.map((prompt) => [prompt.name, prompt.items]),
      [
        ['sentiment', 39],
        ['topic', 40],
      ],
    );
    assert.equal(output.plan.items, 79);
    assert.deepEqual(await leftInTmp(), []);
  });
});
