import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  cliError,
  describeResult,
  jsonLines,
  killRunningClis,
  runCli,
  startCli,
  waitFor,
  type CliResult,
} from '../helpers/run-cli.ts';
import { startSimulator, type SimulatorHandle } from '../helpers/start-simulator.ts';
import { createTempWorkspace, type TempWorkspace } from '../helpers/temp-workspace.ts';

/**
 * Issue 12 end to end in realtime, through the CLI: `run DATA --prompts` prepares, sends, checks, re-asks and joins
 * back; the coverage threshold exits 3; `validate JOB` re-checks with new rules and `integrate JOB` rewrites the
 * dataset, both sending nothing; `run --job` carries an existing data job on.
 */

const SENTIMENT_SCHEMA = {
  type: 'object',
  properties: {
    polarity: { type: 'string', enum: ['positive', 'neutral', 'negative'] },
    reason: { type: 'string' },
  },
  required: ['polarity', 'reason'],
  additionalProperties: false,
};

const TOPIC_SCHEMA = {
  type: 'object',
  properties: { topics: { type: 'array', items: { type: 'string' }, minItems: 1 } },
  required: ['topics'],
  additionalProperties: false,
};

function promptsFile(options: { reaskMax: number; reasonMinLength?: number; samples?: number }): string {
  return [
    'defaults: { model: gpt-4o-mini, request: { max_tokens: 200 } }',
    'prompts:',
    '  sentiment:',
    '    text: "Sentiment of: {{ text }}. Answer with JSON only."',
    `    samples: ${String(options.samples ?? 1)}`,
    '    output:',
    '      schema: schemas/sentiment.json',
    ...(options.reasonMinLength === undefined
      ? []
      : ['      checks:', `        - { path: reason, min_length: ${String(options.reasonMinLength)} }`]),
    `    reask: { max: ${String(options.reaskMax)} }`,
    '  topic:',
    '    text: "Topics of: {{ text }}. Answer with JSON only."',
    '    when: "row.lang == \'en\'"',
    '    output: { schema: schemas/topic.json }',
    `    reask: { max: ${String(options.reaskMax)} }`,
    '  summary:',
    '    text: "Summarise: {{ text }}"',
    '    output: { format: text }',
  ].join('\n');
}

const ROWS = 30;

interface EnrichedRow {
  id: string;
  [field: string]: unknown;
}

async function readJsonl(path: string): Promise<EnrichedRow[]> {
  return (await readFile(path, 'utf8'))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as EnrichedRow);
}

interface IntegrationOutput {
  short_of_coverage: string[];
  prompts: Record<string, { coverage: number; answers: Record<string, number>; reasks: { requests: number } }>;
  overall: { answers: Record<string, number> };
  rows_without_valid: { count: number };
}

function integrationOf(result: CliResult): IntegrationOutput {
  const found = jsonLines(result.stdout).find((value) => 'integration' in value);
  assert.ok(found !== undefined, describeResult(result));
  return found['integration'] as IntegrationOutput;
}

describe('run DATA --prompts (realtime)', () => {
  let temp: TempWorkspace;
  let fixing: SimulatorHandle;
  let breaking: SimulatorHandle;

  const run = (args: readonly string[], sim: SimulatorHandle): Promise<CliResult> =>
    runCli(
      [
        '--workspace',
        temp.workspace,
        '--json',
        'run',
        'posts.jsonl',
        '--base-url',
        sim.baseUrl,
        '--no-progress',
        '--set',
        'retry.base_delay_ms=20',
        '--set',
        'data.key=id',
        ...args,
      ],
      { cwd: temp.dir },
    );
  const cli = (args: readonly string[]): Promise<CliResult> =>
    runCli(['--workspace', temp.workspace, '--json', ...args], { cwd: temp.dir });

  before(async () => {
    temp = await createTempWorkspace('batchpilot-data-run-');
    await mkdir(temp.path('schemas'));
    await temp.write('schemas/sentiment.json', JSON.stringify(SENTIMENT_SCHEMA));
    await temp.write('schemas/topic.json', JSON.stringify(TOPIC_SCHEMA));
    const rows = Array.from({ length: ROWS }, (_, index) =>
      JSON.stringify({
        id: `p${String(index)}`,
        lang: index % 3 === 0 ? 'zh' : 'en',
        text: `post number ${String(index)}`,
      }),
    );
    await temp.write('posts.jsonl', `${rows.join('\n')}\n`);
    await temp.write('prompts.yaml', promptsFile({ reaskMax: 2 }));
    await temp.write('no-reask.yaml', promptsFile({ reaskMax: 0 }));
    await temp.write('strict.yaml', promptsFile({ reaskMax: 2, reasonMinLength: 10_000 }));
    await temp.write('samples.yaml', promptsFile({ reaskMax: 2, samples: 2 }));
    // Every JSON answer broken one way or another at first, every re-ask with the errors fixed.
    fixing = await startSimulator({
      seed: 12,
      structured: { schemaBreak: 0.3, invalidJson: 0.1, reaskFixRate: 1 },
    });
    breaking = await startSimulator({ seed: 13, structured: { schemaBreak: 1, reaskFixRate: 0 } });
  });

  after(async () => {
    await killRunningClis();
    await fixing.close();
    await breaking.close();
    await temp.remove();
  });

  it('prepares, sends, re-asks what fails its checks and writes the enriched dataset in source order', async () => {
    const result = await run(['--prompts', 'prompts.yaml', '--job', 'fixed'], fixing);
    assert.equal(result.code, 0, describeResult(result));
    const integration = integrationOf(result);
    assert.deepEqual(integration.short_of_coverage, []);
    assert.equal(integration.rows_without_valid.count, 0);
    // sentiment for every row, topic for the 20 English ones (10 skipped by `when`), summary for every row.
    // Valid, or repaired (JSON that did not parse, mended by jsonrepair, then passing: kept, not re-asked).
    const good = (name: string): number =>
      (integration.prompts[name]?.answers['valid'] ?? 0) + (integration.prompts[name]?.answers['repaired'] ?? 0);
    assert.equal(good('sentiment'), ROWS);
    assert.equal(good('topic'), 20);
    assert.equal(integration.prompts['sentiment']?.coverage, 1);
    assert.equal(integration.prompts['topic']?.answers['skipped'], 10);
    const reasks =
      (integration.prompts['sentiment']?.reasks.requests ?? 0) + (integration.prompts['topic']?.reasks.requests ?? 0);
    assert.ok(reasks > 0, `some answers were re-asked: ${JSON.stringify(integration.prompts)}`);

    const rows = await readJsonl(join(temp.jobDir('fixed'), 'enriched.jsonl'));
    assert.deepEqual(
      rows.map((row) => row.id),
      Array.from({ length: ROWS }, (_, index) => `p${String(index)}`),
    );
    const zh = rows[0] as EnrichedRow;
    assert.equal(zh['topic__status'], 'skipped');
    assert.ok(['valid', 'repaired'].includes(String(zh['sentiment__status'])));
    assert.ok(['positive', 'neutral', 'negative'].includes((zh['sentiment'] as { polarity: string }).polarity));
    assert.equal(typeof zh['summary'], 'string');
    assert.ok(['valid', 'repaired'].includes(String((rows[1] as EnrichedRow)['topic__status'])));
    // The run's own report counts the re-asks as attempts of their items.
    const report = JSON.parse(await readFile(join(temp.jobDir('fixed'), 'report.json'), 'utf8')) as {
      counts: { succeeded: number };
    };
    assert.equal(report.counts.succeeded, ROWS + 20 + ROWS);
    // The dataset was written by the join-back that followed the run in its own thread (decision 0023): had it
    // failed, the run would have joined back itself and logged why.
    assert.doesNotMatch(await readFile(join(temp.jobDir('fixed'), 'job.log'), 'utf8'), /join-back-follow-fail/);
  });

  it('Ctrl-C mid-run: the join-back that followed the run leaves no file; resume writes the whole dataset', async () => {
    const slow = await startSimulator({ seed: 14, latencyMs: 15, structured: { schemaBreak: 0.2, reaskFixRate: 1 } });
    try {
      const many = Array.from({ length: 400 }, (_, index) =>
        JSON.stringify({ id: `q${String(index)}`, lang: 'en', text: `post ${String(index)}` }),
      );
      await temp.write('many.jsonl', `${many.join('\n')}\n`);
      const args = ['--workspace', temp.workspace, '--json', 'run', 'many.jsonl', '--prompts', 'prompts.yaml'];
      const common = ['--base-url', slow.baseUrl, '--no-progress', '--set', 'data.key=id', '--concurrency', '4'];
      const child = startCli([...args, '--job', 'stopped', ...common], { cwd: temp.dir });
      await waitFor(() => slow.stats().requests >= 200, 'the first answers');
      child.child.kill('SIGINT');
      const stopped = await child.done;
      assert.equal(stopped.code, 130, describeResult(stopped));
      const left = await readdir(temp.jobDir('stopped'));
      assert.deepEqual(
        left.filter((name) => name.includes('enriched') || name.includes('integration') || name.endsWith('.tmp')),
        [],
        left.join(' '),
      );

      const resumed = await runCli(['--workspace', temp.workspace, '--json', 'resume', 'stopped'], { cwd: temp.dir });
      assert.equal(resumed.code, 0, describeResult(resumed));
      const rows = await readJsonl(join(temp.jobDir('stopped'), 'enriched.jsonl'));
      assert.equal(rows.length, 400);
      assert.ok(rows.every((row) => row['sentiment__status'] === 'valid' || row['sentiment__status'] === 'repaired'));
      const written = await readFile(join(temp.jobDir('stopped'), 'enriched.jsonl'));
      const again = await runCli(['--workspace', temp.workspace, 'integrate', 'stopped'], { cwd: temp.dir });
      assert.equal(again.code, 0, describeResult(again));
      assert.ok(written.equals(await readFile(join(temp.jobDir('stopped'), 'enriched.jsonl'))));
    } finally {
      await slow.close();
    }
  });

  it('run --job of an existing data job carries it on; another data file under that id is refused', async () => {
    const again = await run(['--prompts', 'prompts.yaml', '--job', 'fixed'], fixing);
    assert.equal(again.code, 0, describeResult(again));
    await temp.write('other.jsonl', '{"id":"x","lang":"en","text":"t"}\n');
    const other = await runCli(
      ['--workspace', temp.workspace, '--json', 'run', 'other.jsonl', '--prompts', 'prompts.yaml', '--job', 'fixed'],
      { cwd: temp.dir },
    );
    assert.equal(other.code, 2, describeResult(other));
    assert.equal(cliError(other)?.code, 'USAGE');
  });

  it('resume of a run stopped before it created its job says so, and how to carry on', async () => {
    // What a kill -9 during prepare leaves: the job folder with (temp) files, no job in the store.
    await mkdir(temp.jobDir('half'), { recursive: true });
    const half = await cli(['resume', 'half']);
    assert.equal(half.code, 2, describeResult(half));
    assert.equal(cliError(half)?.code, 'JOB_NOT_FOUND');
    assert.equal(cliError(half)?.context?.['file'], temp.jobDir('half'));
    const none = await cli(['resume', 'none']);
    assert.equal(cliError(none)?.code, 'JOB_NOT_FOUND');
    assert.equal(cliError(none)?.context?.['file'], undefined);
  });

  it('integrate JOB writes the same bytes again, and another format on request, sending nothing', async () => {
    const path = join(temp.jobDir('fixed'), 'enriched.jsonl');
    const first = await readFile(path);
    const requestsBefore = fixing.stats().requests;
    const result = await cli(['integrate', 'fixed']);
    assert.equal(result.code, 0, describeResult(result));
    assert.ok(first.equals(await readFile(path)), 'the same store gives byte-identical output');
    const csv = await cli(['integrate', 'fixed', '--out', 'out/enriched.csv']);
    assert.equal(csv.code, 0, describeResult(csv));
    const lines = (await readFile(temp.path('out/enriched.csv'), 'utf8')).trimEnd().split('\n');
    assert.equal(lines.length, ROWS + 1);
    assert.ok(lines[0]?.startsWith('id,lang,text,sentiment,sentiment__status'), lines[0]);
    assert.equal(fixing.stats().requests, requestsBefore);
  });

  it('validate JOB --prompts re-checks stored answers with new rules: below min_coverage it exits 3', async () => {
    const requestsBefore = fixing.stats().requests;
    const result = await cli(['validate', 'fixed', '--prompts', 'strict.yaml']);
    assert.equal(result.code, 3, describeResult(result));
    assert.equal(cliError(result)?.code, 'COVERAGE_BELOW_MIN');
    const found = jsonLines(result.stdout)[0] as { validate: { checked: number; changed: number } };
    assert.equal(found.validate.checked, ROWS + 20 + ROWS);
    assert.equal(found.validate.changed, ROWS);
    assert.deepEqual(integrationOf(result).short_of_coverage, ['sentiment']);
    const rows = await readJsonl(join(temp.jobDir('fixed'), 'enriched.jsonl'));
    assert.equal(rows[0]?.['sentiment__status'], 'invalid');
    assert.match(String(rows[0]?.['sentiment__error']), /reason/);
    assert.equal(fixing.stats().requests, requestsBefore, 'validate sends nothing');
    // The old rules back: every answer is valid again.
    const back = await cli(['validate', 'fixed', '--prompts', 'prompts.yaml']);
    assert.equal(back.code, 0, describeResult(back));
  });

  it('answers that stay invalid: coverage below integrate.min_coverage exits 3 and lists the rows', async () => {
    const result = await run(['--prompts', 'no-reask.yaml', '--job', 'broken'], breaking);
    assert.equal(result.code, 3, describeResult(result));
    assert.equal(cliError(result)?.code, 'COVERAGE_BELOW_MIN');
    const integration = integrationOf(result);
    assert.deepEqual(integration.short_of_coverage, ['sentiment', 'topic']);
    assert.equal(integration.prompts['sentiment']?.answers['invalid'], ROWS);
    const keys = (await readFile(join(temp.jobDir('broken'), 'rows_without_valid.txt'), 'utf8')).trimEnd().split('\n');
    assert.equal(keys.length, ROWS);
    // `wait JOB` (for detached jobs) exits as the run did.
    const waited = await cli(['wait', 'broken']);
    assert.equal(waited.code, 3, describeResult(waited));
    assert.deepEqual((JSON.parse(waited.stdout) as { short_of_coverage: string[] }).short_of_coverage, [
      'sentiment',
      'topic',
    ]);
    // A lower threshold lets the same answers pass.
    const lenient = await run(
      ['--prompts', 'no-reask.yaml', '--job', 'lenient', '--set', 'integrate.min_coverage=0'],
      breaking,
    );
    assert.equal(lenient.code, 0, describeResult(lenient));
  });

  it('--only FILE runs only the rows it lists, under their own indexes and custom_ids', async () => {
    await temp.write('only.txt', 'p1\np5\n\np7\n');
    const result = await run(['--prompts', 'prompts.yaml', '--job', 'only', '--only', 'only.txt'], fixing);
    assert.equal(result.code, 0, describeResult(result));
    const rows = await readJsonl(join(temp.jobDir('only'), 'enriched.jsonl'));
    assert.deepEqual(
      rows.map((row) => row.id),
      ['p1', 'p5', 'p7'],
    );
    const ids = (await readFile(join(temp.jobDir('only'), 'requests.jsonl'), 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => (JSON.parse(line) as { custom_id: string }).custom_id);
    assert.deepEqual(ids.slice(0, 3), ['sentiment_0001', 'topic_0001', 'summary_0001']);
    const missing = await run(['--prompts', 'prompts.yaml', '--job', 'only-missing', '--only', 'nope.txt'], fixing);
    assert.equal(missing.code, 2, describeResult(missing));
    assert.equal(cliError(missing)?.code, 'INPUT_UNREADABLE');
  });

  it('samples: k are k answers per row, an array in the row; flat fields on request', async () => {
    const result = await run(
      [
        '--prompts',
        'samples.yaml',
        '--job',
        'samples',
        '--set',
        'integrate.fields=flat',
        '--set',
        'integrate.meta=true',
        '--set',
        'integrate.out=results/samples.jsonl',
      ],
      fixing,
    );
    assert.equal(result.code, 0, describeResult(result));
    const path = temp.path('results/samples.jsonl');
    const rows = await readJsonl(path);
    const first = rows[1] as EnrichedRow;
    assert.equal((first['sentiment'] as unknown[]).length, 2);
    assert.equal((first['sentiment__status'] as string[]).length, 2);
    // Flat: an answer's object fields become `prompt.field` (samples stay an array).
    assert.ok('topic.topics' in first, JSON.stringify(first));
    assert.equal(first['topic'], undefined, JSON.stringify(first));
    assert.ok('sentiment__meta' in first, Object.keys(first).join(' '));
    // integrate.out is taken from the folder the job was made in, whoever writes it again from elsewhere.
    const written = (await stat(path)).mtimeMs;
    const again = await runCli(['--workspace', temp.workspace, 'integrate', 'samples'], { cwd: temp.path('schemas') });
    assert.equal(again.code, 0, describeResult(again));
    assert.ok((await stat(path)).mtimeMs >= written);
    assert.equal(await readdir(temp.path('schemas/results')).catch(() => 'absent'), 'absent');
  });
});
