import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_EMBEDDING_DIMENSIONS, textEmbedding } from '../../src/simulator/index.ts';
import { cliError, describeResult, runCli, type CliResult } from '../helpers/run-cli.ts';
import { startSimulator, type SimulatorHandle } from '../helpers/start-simulator.ts';
import { createTempWorkspace, filesContaining, type TempWorkspace } from '../helpers/temp-workspace.ts';
import {
  SENTIMENT_PROMPTS as PROMPTS,
  SENTIMENT_SCHEMA as SCHEMA,
  lanceTableRows,
  validKeys,
} from '../helpers/sink-rows.ts';

/**
 * Issue 13 §2, `vectors:`: a LanceDB sink embeds a text field of each valid row through the job's endpoint
 * (`/v1/embeddings`, the simulator's deterministic vectors) into a vector column of the embedding's dimension.
 * Embeddings that fail (500s, with the key echoed in their bodies) are retried by the sink runner, each row lands
 * once, and the key reaches no output and no file.
 */

const ROWS = 90;
const DIMENSIONS = 16;
const MODEL = 'sim-embed';
const KEY = 'bp-vectors/Key+0123456789abcdefXYZ';
const WRONG_KEY = 'bp-wrong-Key-9876543210zyxwvu';
/** Also looked for in pieces, so a key cut or re-encoded on the way would still be caught. */
const NEEDLES = [KEY, WRONG_KEY, '0123456789abcdefXYZ', '9876543210zyxwvu', encodeURIComponent(KEY)];
const SEED = 41;

function config(table: string, extra = ''): string {
  return [
    'api_key_env: VECTORS_TEST_KEY',
    'data: { key: id }',
    'sinks:',
    `  - { type: lancedb, uri: ./lancedb, table: ${table}, every: 20, vectors: { from: text, column: vector, model: ${MODEL} } }`,
    extra,
  ].join('\n');
}

interface TableRow {
  id: string;
  text: string;
  vector: number[] | null;
}

async function tableRows(dir: string, table: string): Promise<TableRow[]> {
  const rows = await lanceTableRows<{ id: string; text: string; vector: Iterable<number> | null }>(dir, table, [
    'id',
    'text',
    'vector',
  ]);
  return rows.map((row) => ({ ...row, vector: row.vector === null ? null : Array.from(row.vector) }));
}

/** Every row of the table holds the simulator's vector of its text (float32), so the same text the same vector. */
function assertVectors(rows: readonly TableRow[], dimensions: number, model = MODEL): void {
  for (const row of rows) {
    assert.ok(row.vector !== null, `row ${row.id} has a vector`);
    assert.equal(row.vector.length, dimensions, `row ${row.id}: dimension (seed ${String(SEED)})`);
    const expected = textEmbedding(model, row.text, dimensions).map((value) => Math.fround(value));
    assert.deepEqual(row.vector, expected, `row ${row.id}: the vector of "${row.text}" (seed ${String(SEED)})`);
  }
}

const sorted = (ids: readonly string[]): string[] => [...ids].sort();

describe('a LanceDB sink with vectors:', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;
  const outputs: CliResult[] = [];

  before(async () => {
    temp = await createTempWorkspace('batchpilot-sink-vectors-');
    // Ten texts over ninety rows: the same text comes back in other rows and other batches.
    const rows = Array.from({ length: ROWS }, (_, index) =>
      JSON.stringify({ id: `v${String(index).padStart(3, '0')}`, text: `picture number ${String(index % 10)}` }),
    );
    await temp.write('rows.jsonl', `${rows.join('\n')}\n`);
    await temp.write('schema.json', JSON.stringify(SCHEMA));
    await temp.write('prompts.yaml', PROMPTS);
    await temp.write('realtime.yaml', config('realtime'));
    await temp.write('batch.yaml', config('batched', 'mode: batch\npoll_interval_s: 0.05'));
    await temp.write('simulate.yaml', config('simulated').replace('api_key_env: VECTORS_TEST_KEY', ''));
    // No fault on the model's answers: every 500 is an embeddings one, its body quoting the key.
    sim = await startSimulator({
      seed: SEED,
      latencyMs: 1,
      apiKey: KEY,
      echoAuthRate: 1,
      embeddingDimensions: DIMENSIONS,
      embeddingErrorRate: 0.4,
      batchLifetimeMs: 200,
      structured: { schemaBreak: 0.2, reaskFixRate: 0 },
    });
  });

  after(async () => {
    await sim.close();
    await temp.remove();
  });

  async function cli(args: readonly string[], key = KEY): Promise<CliResult> {
    const result = await runCli(['--workspace', temp.workspace, ...args], {
      cwd: temp.dir,
      env: { VECTORS_TEST_KEY: key },
    });
    outputs.push(result);
    return result;
  }

  const run = (job: string, configFile: string): string[] => [
    'run',
    'rows.jsonl',
    '--config',
    configFile,
    '--prompts',
    'prompts.yaml',
    '--job',
    job,
    '--base-url',
    sim.baseUrl,
    '--no-progress',
    '--set',
    'integrate.min_coverage=0',
  ];

  it('realtime: fills the vector column of every valid row once, retrying the embeddings that failed', async () => {
    const errorsBefore = sim.stats().faults.http500;
    const result = await cli(run('realtime', 'realtime.yaml'));
    assert.equal(result.code, 0, describeResult(result));
    assert.ok(sim.stats().faults.http500 > errorsBefore, `an embeddings request failed (seed ${String(SEED)})`);
    const valid = await validKeys(temp, 'realtime');
    assert.ok(valid.length > ROWS / 2, `${String(valid.length)} valid rows`);
    const rows = await tableRows(temp.path('lancedb'), 'realtime');
    assert.deepEqual(sorted(rows.map((row) => row.id)), sorted(valid), 'every valid row once');
    assertVectors(rows, DIMENSIONS);
    const report = JSON.parse(await readFile(join(temp.jobDir('realtime'), 'integration_report.json'), 'utf8')) as {
      sinks: { name: string; rows_written: number; retries: number }[];
    };
    assert.equal(report.sinks[0]?.rows_written, valid.length);
    assert.ok((report.sinks[0]?.retries ?? 0) > 0, `the failed embeddings were retried (seed ${String(SEED)})`);
  });

  it('batch mode: the join-back after the run embeds as well', async () => {
    const result = await cli(run('batched', 'batch.yaml'));
    assert.equal(result.code, 0, describeResult(result));
    const rows = await tableRows(temp.path('lancedb'), 'batched');
    assert.deepEqual(sorted(rows.map((row) => row.id)), sorted(await validKeys(temp, 'batched')));
    assertVectors(rows, DIMENSIONS);
  });

  it('`sink JOB` replays with the same vectors; a key the endpoint refuses is SINK_FAILED', async () => {
    const before = (await tableRows(temp.path('lancedb'), 'realtime')).length;
    const replay = await cli(['sink', 'realtime']);
    assert.equal(replay.code, 0, describeResult(replay));
    const rows = await tableRows(temp.path('lancedb'), 'realtime');
    assert.equal(rows.length, before, 'an upsert: no row twice');
    assertVectors(rows, DIMENSIONS);
    const refused = await cli(['--json', 'sink', 'realtime'], WRONG_KEY);
    assert.equal(cliError(refused)?.code, 'SINK_FAILED', describeResult(refused));
  });

  it('--simulate: the built-in simulator answers the embeddings of the run and of `sink JOB`', async () => {
    const args = ['run', 'rows.jsonl', '--config', 'simulate.yaml', '--prompts', 'prompts.yaml', '--job', 'simulated'];
    const result = await cli([...args, '--simulate', '--no-progress', '--set', 'integrate.min_coverage=0']);
    assert.equal(result.code, 0, describeResult(result));
    const valid = sorted(await validKeys(temp, 'simulated'));
    const rows = await tableRows(temp.path('lancedb'), 'simulated');
    assert.deepEqual(sorted(rows.map((row) => row.id)), valid);
    assertVectors(rows, DEFAULT_EMBEDDING_DIMENSIONS);
    const replay = await cli(['sink', 'simulated']);
    assert.equal(replay.code, 0, describeResult(replay));
    const again = await tableRows(temp.path('lancedb'), 'simulated');
    assert.deepEqual(sorted(again.map((row) => row.id)), valid);
    assertVectors(again, DEFAULT_EMBEDDING_DIMENSIONS);
  });

  it('the key, echoed in the embeddings error bodies, is in no output and no file', async () => {
    for (const result of outputs) {
      for (const needle of NEEDLES) {
        assert.ok(!result.stdout.includes(needle) && !result.stderr.includes(needle), describeResult(result));
      }
    }
    for (const needle of NEEDLES) assert.deepEqual(await filesContaining(temp.dir, needle), [], needle);
  });
});
