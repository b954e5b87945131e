import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeResult, jsonLines, killRunningClis, startCli } from '../helpers/run-cli.ts';
import { sharedRunArgs, workerArgs } from '../helpers/shared-run-args.ts';
import { startPostgres, type PostgresHandle } from '../helpers/start-postgres.ts';
import { type SimulatorHandle, startSimulator } from '../helpers/start-simulator.ts';
import { createTempWorkspace, type TempWorkspace } from '../helpers/temp-workspace.ts';

/**
 * Issue 14 (docs/decisions/0035): a data job on a shared PostgreSQL store is sent by a worker, which checks every
 * answer against the job's schema and its row (`covers`) and re-asks what fails, with the prompts and manifest the submitting process put
 * in the store; the submitter (`--no-work`) only waits, then joins the answers back into the enriched dataset.
 */

const ROWS = 300;
const SCHEMA = {
  type: 'object',
  properties: {
    polarity: { type: 'string', enum: ['positive', 'neutral', 'negative'] },
    covered: { type: 'array', items: { type: 'string' } },
  },
  required: ['polarity', 'covered'],
  additionalProperties: false,
};
// A `covers` check reads the row's fields, kept in the manifest: the worker needs that from the store too. An odd
// row lists a value no answer ever names, so its answer can only end invalid; an even row lists none.
const PROMPTS = [
  'defaults: { model: gpt-4o-mini, request: { max_tokens: 200 } }',
  'prompts:',
  '  sentiment:',
  '    text: "Sentiment of: {{ text }}. Answer with JSON only."',
  '    output:',
  '      schema: sentiment.json',
  '      checks: [{ path: covered, covers: row.dims }]',
  '    reask: { max: 1 }',
].join('\n');

interface Integration {
  prompts: Record<string, { answers: Record<string, number>; reasks: { requests: number } }>;
}

describe('a data job on a worker over PostgreSQL', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;
  let postgres: PostgresHandle;
  let url: string;

  before(async () => {
    temp = await createTempWorkspace('batchpilot-workers-data-');
    [sim, postgres] = await Promise.all([
      // Answers broken at first (schema, JSON), each re-ask fixed.
      startSimulator({ seed: 34, latencyMs: 2, structured: { schemaBreak: 0.3, invalidJson: 0.1, reaskFixRate: 1 } }),
      startPostgres(),
    ]);
    url = await postgres.createDatabase('workers_data');
    await temp.write('sentiment.json', JSON.stringify(SCHEMA));
    await temp.write('prompts.yaml', PROMPTS);
    const rows = Array.from({ length: ROWS }, (_, index) =>
      JSON.stringify({
        id: `p${String(index)}`,
        text: `post number ${String(index)}`,
        dims: index % 2 === 0 ? [] : ['never-named'],
      }),
    );
    await temp.write('posts.jsonl', `${rows.join('\n')}\n`);
  });

  after(async () => {
    await killRunningClis();
    await sim.close();
    await postgres.stop();
    await temp.remove();
  });

  it('checks and re-asks on the worker; the submitter joins the answers back', async () => {
    const target = { temp, url, jobId: 'data-on-worker' };
    const options = { cwd: temp.dir, timeoutMs: 50_000 };
    const worker = startCli(workerArgs(target), options);
    const submitter = startCli(
      sharedRunArgs(target, 'posts.jsonl', sim.baseUrl, [
        '--prompts',
        'prompts.yaml',
        '--set',
        'data.key=id',
        '--set',
        'retry.base_delay_ms=10',
        '--set',
        'integrate.min_coverage=0',
        '--no-work',
      ]),
      options,
    );
    const result = await submitter.done;
    assert.equal(result.code, 0, describeResult(result));
    const found = jsonLines(result.stdout).find((value) => 'integration' in value);
    assert.ok(found !== undefined, describeResult(result));
    const sentiment = (found['integration'] as Integration).prompts['sentiment'];
    // Each answer checked against its own row: the even rows pass (after a re-ask, for a broken answer), the odd
    // ones cannot.
    const good = (sentiment?.answers['valid'] ?? 0) + (sentiment?.answers['repaired'] ?? 0);
    assert.equal(good, ROWS / 2, JSON.stringify(sentiment));
    assert.equal(sentiment?.answers['invalid'], ROWS / 2, JSON.stringify(sentiment));
    // Nothing was sent by the submitter: the re-asks were the worker's, made with the job's schema.
    assert.ok((sentiment?.reasks.requests ?? 0) > 0, JSON.stringify(sentiment));

    const enriched = (await readFile(join(temp.jobDir(target.jobId), 'enriched.jsonl'), 'utf8'))
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { id: string; sentiment__status: string });
    assert.deepEqual(
      enriched.map((row) => row.id),
      Array.from({ length: ROWS }, (_, index) => `p${String(index)}`),
    );
    enriched.forEach((row, index) =>
      assert.match(row.sentiment__status, index % 2 === 0 ? /^(valid|repaired)$/ : /^invalid$/, row.id),
    );

    worker.child.kill('SIGTERM');
    const ended = await worker.done;
    assert.equal(ended.code, 0, describeResult(ended));
    assert.match(ended.stdout, /"msg":"worker-start"/);
    assert.doesNotMatch(ended.stdout, /"msg":"worker-skip"/, 'the worker took the data job');
  });
});
