import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SimulatorOptions } from './start-simulator.ts';
import type { TempWorkspace } from './temp-workspace.ts';

/**
 * The data job the kill -9 tests of issue 12 run (test/integration/data-job-kill.*.test.ts): 5,000 rows and three
 * prompts with JSON schemas (one with `when` skipping two rows in three, one with `samples: 2`, one re-asking invalid
 * answers by resampling, the others with feedback), against a simulator that breaks some answers so re-asks happen;
 * and the exactly-once checker of its end: every source row once, in order, every (row, prompt, sample) that should
 * have an answer in exactly one state, the report agreeing with the file, every custom_id in exactly one result file.
 */

export const DATA_ROWS = 5000;
const LANGS = ['en', 'zh', 'fr'] as const;
const TOPICS = ['rain', 'markets', 'football', 'trains', 'harvest'] as const;

/** Prompt name -> samples, and whether a row is skipped by its `when` (`row.lang == 'zh'` for `summary`). */
export const DATA_PROMPTS = {
  sentiment: { samples: 1, skips: (_row: number) => false },
  topic: { samples: 2, skips: (_row: number) => false },
  summary: { samples: 1, skips: (row: number) => LANGS[row % LANGS.length] !== 'zh' },
} as const;
type PromptName = keyof typeof DATA_PROMPTS;
const PROMPT_NAMES = Object.keys(DATA_PROMPTS) as PromptName[];

/** Structured faults on, latency small: about one answer in six is not valid at first, and most re-asks fix it. */
export function dataKillSimulator(seed: number): SimulatorOptions {
  return {
    latencyMs: 2,
    jitterMs: 1,
    seed,
    batchLifetimeMs: 300,
    structured: {
      invalidJson: 0.04,
      schemaBreak: 0.06,
      shortText: 0.03,
      truncated: 0.03,
      refusal: 0.005,
      reaskFixRate: 0.7,
    },
  };
}

const PROMPTS_YAML = `defaults:
  model: gpt-4o-mini
  request: { max_tokens: 200 }
  reask: { max: 2 }
prompts:
  sentiment:
    system: 'You are a careful annotator.'
    text: 'How does this post feel? {{ text }}'
    output: { format: json, schema: sentiment.schema.json }
    reask: { max: 2, invalid: resample }
  topic:
    samples: 2
    text: 'Which topics does this post touch? {{ text }}'
    output:
      format: json
      schema: topic.schema.json
      checks:
        - { path: topics, min_items: 1 }
  summary:
    when: "row.lang == 'zh'"
    text: 'Summarise this post in one sentence: {{ row.text }}'
    output: { format: json, schema: summary.schema.json }
`;

const SCHEMAS: Record<string, unknown> = {
  'sentiment.schema.json': {
    type: 'object',
    properties: {
      polarity: { type: 'string', enum: ['positive', 'negative', 'neutral'] },
      score: { type: 'number', minimum: -1, maximum: 1 },
    },
    required: ['polarity', 'score'],
    additionalProperties: false,
  },
  'topic.schema.json': {
    type: 'object',
    properties: {
      topics: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 3 },
      primary: { type: 'string', minLength: 3 },
    },
    required: ['topics', 'primary'],
    additionalProperties: false,
  },
  'summary.schema.json': {
    type: 'object',
    properties: { summary: { type: 'string', minLength: 10 } },
    required: ['summary'],
    additionalProperties: false,
  },
};

/** Writes rows.jsonl (every row's text differs, so no two requests of different rows are alike), the prompts and schemas. */
export async function writeDataJob(temp: TempWorkspace): Promise<{ data: string; prompts: string }> {
  const rows: string[] = [];
  for (let index = 0; index < DATA_ROWS; index += 1) {
    rows.push(
      JSON.stringify({
        id: rowId(index),
        lang: LANGS[index % LANGS.length],
        text: `Post ${String(index)} is about ${TOPICS[index % TOPICS.length]!} and little else.`,
      }),
    );
  }
  const data = await temp.write('rows.jsonl', `${rows.join('\n')}\n`);
  for (const [name, schema] of Object.entries(SCHEMAS)) await temp.write(name, JSON.stringify(schema));
  const prompts = await temp.write('prompts.yaml', PROMPTS_YAML);
  return { data, prompts };
}

function rowId(index: number): string {
  return `r${String(index)}`;
}

/** `--set` flags every run of the job takes: join-back meta (re-asks per answer), and no exit 3 for coverage. */
export const DATA_JOB_SETTINGS: readonly string[] = [
  '--set',
  'integrate.meta=true',
  '--set',
  'integrate.min_coverage=0',
];

/** The states an answer can end in; `skipped` only where `when` skips the row. */
const ANSWER_STATES = ['valid', 'repaired', 'invalid', 'truncated', 'refused', 'failed', 'missing'] as const;
type Tally = Record<string, number>;

interface IntegrationReport {
  rows: number;
  prompts: Record<string, { rows: number; requests: number; answers: Tally; reasks: { requests: number } }>;
  overall: { answers: Tally };
}

interface AnswerMeta {
  attempts: number;
  reasks: number;
}

export interface DataJobTally {
  /** Requests prepared: one per (row, prompt, sample) that should have an answer. */
  items: number;
  /** Re-asks sent, from the answers' meta (each one request). */
  reasks: number;
  /**
   * Answers the simulator gave to a request body it had answered before, legitimately: the samples of one row are the
   * same request (and so are their re-asks, the answers being deterministic), so every sample after the first is a
   * repeat of the first's body, once per request it made.
   */
  repeatedSampleBodies: number;
}

async function readLines(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8');
  return text.split('\n').filter((line) => line !== '');
}

async function readJsonLines<T>(path: string): Promise<T[]> {
  return (await readLines(path)).map((line) => JSON.parse(line) as T);
}

/**
 * Checks the end of a completed data job in `jobDir` and returns what the simulator's counters are compared with.
 * Assertion messages name the row, prompt and sample at fault; the caller's seed note is added by `withNote`.
 */
export async function checkDataJob(jobDir: string): Promise<DataJobTally> {
  // The store's side: every prepared custom_id in exactly one of output, errors and missing, and report.json agrees.
  const requests = await readJsonLines<{ custom_id: string }>(join(jobDir, 'requests.jsonl'));
  const prepared = new Set(requests.map((request) => request.custom_id));
  assert.equal(prepared.size, requests.length, 'requests.jsonl: a custom_id twice');
  const placed = new Map<string, string>();
  const place = (customId: string, file: string): void => {
    assert.ok(prepared.has(customId), `${file} holds ${customId}, which was never prepared`);
    const earlier = placed.get(customId);
    assert.equal(earlier, undefined, `${customId} is in ${String(earlier)} and again in ${file}`);
    placed.set(customId, file);
  };
  const output = await readJsonLines<{ custom_id: string }>(join(jobDir, 'output.jsonl'));
  for (const line of output) place(line.custom_id, 'output.jsonl');
  const errors = await readJsonLines<{ custom_id: string }>(join(jobDir, 'errors.jsonl'));
  for (const line of errors) place(line.custom_id, 'errors.jsonl');
  const missing = await readJsonLines<{ custom_id: string }>(join(jobDir, 'missing_records.jsonl'));
  for (const line of missing) place(line.custom_id, 'missing_records.jsonl');
  const unplaced = [...prepared].filter((id) => !placed.has(id));
  assert.deepEqual(unplaced.slice(0, 10), [], `${String(unplaced.length)} custom_ids are in no result file`);
  const report = JSON.parse(await readFile(join(jobDir, 'report.json'), 'utf8')) as {
    state: string;
    counts: { total: number; succeeded: number; failed: number; missing: number };
  };
  assert.equal(report.state, 'completed', 'report.json state');
  assert.deepEqual(
    [report.counts.total, report.counts.succeeded, report.counts.failed, report.counts.missing],
    [requests.length, output.length, errors.length, missing.length],
    'report.json counts (total, succeeded, failed, missing) against the result files',
  );

  // The rows' side: the enriched dataset, one line per source row in source order, each wanted answer in one state.
  const enriched = await readJsonLines<Record<string, unknown>>(join(jobDir, 'enriched.jsonl'));
  assert.equal(enriched.length, DATA_ROWS, 'enriched.jsonl rows');
  const tallies = new Map<PromptName, Tally>(PROMPT_NAMES.map((name) => [name, {}]));
  const seenIds = new Set<string>();
  let reasks = 0;
  let repeatedSampleBodies = 0;
  for (const [index, row] of enriched.entries()) {
    assert.equal(
      row['id'],
      rowId(index),
      `enriched.jsonl line ${String(index + 1)} is not source row ${String(index)}`,
    );
    for (const name of PROMPT_NAMES) {
      const spec = DATA_PROMPTS[name];
      const tally = tallies.get(name)!;
      const where = `row ${rowId(index)}, prompt ${name}`;
      const status = row[`${name}__status`];
      if (spec.skips(index)) {
        assert.equal(status, 'skipped', `${where}: skipped by when, but its status is ${JSON.stringify(status)}`);
        assert.equal(row[name], null, `${where}: skipped, yet it has a value`);
        tally['skipped'] = (tally['skipped'] ?? 0) + 1;
        continue;
      }
      const statuses = spec.samples === 1 ? [status] : status;
      const metas = (spec.samples === 1 ? [row[`${name}__meta`]] : row[`${name}__meta`]) as (AnswerMeta | null)[];
      assert.ok(
        Array.isArray(statuses) && statuses.length === spec.samples && Array.isArray(metas),
        `${where}: ${String(spec.samples)} sample(s) wanted, status ${JSON.stringify(status)}`,
      );
      const requestCounts: number[] = [];
      for (const [sample, state] of statuses.entries()) {
        const at = spec.samples === 1 ? where : `${where}, sample ${String(sample)}`;
        assert.ok((ANSWER_STATES as readonly unknown[]).includes(state), `${at}: state ${JSON.stringify(state)}`);
        const customId = `${name}_${String(index).padStart(4, '0')}${spec.samples === 1 ? '' : `_s${String(sample)}`}`;
        seenIds.add(customId);
        const file = placed.get(customId);
        const expectedFile =
          state === 'failed' ? 'errors.jsonl' : state === 'missing' ? 'missing_records.jsonl' : 'output.jsonl';
        assert.equal(file, expectedFile, `${at} (${customId}) is ${String(state)} in enriched.jsonl`);
        tally[state as string] = (tally[state as string] ?? 0) + 1;
        const meta = metas[sample];
        if (state === 'failed' || state === 'missing' || meta === null || meta === undefined) continue;
        assert.ok(Number.isInteger(meta.reasks) && meta.reasks >= 0 && meta.reasks <= 2, `${at}: meta.reasks`);
        reasks += meta.reasks;
        requestCounts.push(meta.reasks + 1);
      }
      // The samples' bodies are alike at each re-ask they both reached.
      for (const count of requestCounts.slice(1)) repeatedSampleBodies += Math.min(count, requestCounts[0]!);
    }
  }
  assert.equal(seenIds.size, prepared.size, 'custom_ids in enriched.jsonl against requests.jsonl');

  // The integration report counts what the file holds, per prompt and overall.
  const integration = JSON.parse(await readFile(join(jobDir, 'integration_report.json'), 'utf8')) as IntegrationReport;
  assert.equal(integration.rows, DATA_ROWS, 'integration_report.json rows');
  const overall: Tally = {};
  let reportedReasks = 0;
  for (const name of PROMPT_NAMES) {
    const reported = integration.prompts[name];
    assert.ok(reported !== undefined, `integration_report.json has no prompt ${name}`);
    const tally = tallies.get(name)!;
    for (const [state, count] of Object.entries(reported.answers)) {
      assert.equal(count, tally[state] ?? 0, `integration_report.json prompts.${name}.answers.${state}`);
      overall[state] = (overall[state] ?? 0) + count;
    }
    for (const state of Object.keys(tally)) assert.ok(state in reported.answers, `report lacks ${name}.${state}`);
    reportedReasks += reported.reasks.requests;
  }
  assert.deepEqual(integration.overall.answers, overall, 'integration_report.json overall.answers');
  assert.equal(reportedReasks, reasks, 're-asks in the integration report against the answers meta');
  // A file a killed run was writing (`.<name>.<pid>.tmp`) is gone once its target was written again.
  const leftovers = (await readdir(jobDir)).filter((name) => name.endsWith('.tmp'));
  assert.deepEqual(leftovers, [], 'temp files left in the job folder');
  return { items: prepared.size, reasks, repeatedSampleBodies };
}
