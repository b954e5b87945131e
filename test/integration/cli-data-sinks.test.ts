import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeResult, killRunningClis, runCli, startCli, waitFor } from '../helpers/run-cli.ts';
import { startSimulator, type SimulatorHandle } from '../helpers/start-simulator.ts';
import { createTempWorkspace, type TempWorkspace } from '../helpers/temp-workspace.ts';
import {
  SENTIMENT_PROMPTS as PROMPTS,
  SENTIMENT_SCHEMA as SCHEMA,
  jsonlPartRows,
  lanceTableRows,
  validKeys,
} from '../helpers/sink-rows.ts';

/**
 * Issue 13 §2 end to end: a data job's valid rows flow into its sinks as the run answers (a LanceDB table, JSONL
 * part files), each row once: across a kill -9 and resume, and again with `batchpilot sink JOB`, which sends no
 * model request.
 */

const ROWS = 600;

function config(table: string, parts: string): string {
  return [
    'data: { key: id }',
    'sinks:',
    `  - { type: lancedb, uri: ./lancedb, table: ${table}, every: 50 }`,
    `  - { type: jsonl, dir: ${parts}, every: 70, rows: valid }`,
  ].join('\n');
}

const sorted = (ids: readonly string[]): string[] => [...ids].sort();

describe('sinks of a data job', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;

  before(async () => {
    temp = await createTempWorkspace('batchpilot-data-sinks-');
    const rows = Array.from({ length: ROWS }, (_, index) =>
      JSON.stringify({ id: `p${String(index).padStart(4, '0')}`, text: `post number ${String(index)}` }),
    );
    await temp.write('posts.jsonl', `${rows.join('\n')}\n`);
    await temp.write('schema.json', JSON.stringify(SCHEMA));
    await temp.write('prompts.yaml', PROMPTS);
    await temp.write('plain.yaml', config('posts', 'parts'));
    await temp.write('killed.yaml', config('killed', 'killed-parts'));
    // A share of the answers break the schema and are not re-asked: those rows are not valid and stay out.
    sim = await startSimulator({ seed: 31, latencyMs: 2, structured: { schemaBreak: 0.2, reaskFixRate: 0 } });
  });

  after(async () => {
    await killRunningClis();
    await sim.close();
    await temp.remove();
  });

  const run = (job: string, configFile: string) => [
    '--workspace',
    temp.workspace,
    'run',
    'posts.jsonl',
    '--config',
    configFile,
    '--prompts',
    'prompts.yaml',
    '--job',
    job,
    '--base-url',
    sim.baseUrl,
    '--no-progress',
    '--concurrency',
    '8',
    '--set',
    'integrate.min_coverage=0',
  ];

  it('fills a LanceDB table and JSONL parts with every valid row once, and reports each sink', async () => {
    const result = await runCli(run('plain', 'plain.yaml'), { cwd: temp.dir });
    assert.equal(result.code, 0, describeResult(result));
    const valid = await validKeys(temp, 'plain');
    assert.ok(valid.length > ROWS / 2 && valid.length < ROWS, `${String(valid.length)} valid rows`);
    assert.deepEqual(
      sorted((await lanceTableRows<{ id: string }>(temp.path('lancedb'), 'posts', ['id'])).map((row) => row.id)),
      sorted(valid),
    );
    assert.deepEqual(sorted((await jsonlPartRows(temp.path('parts'))).map((row) => row.id)), sorted(valid));
    const report = JSON.parse(await readFile(join(temp.jobDir('plain'), 'integration_report.json'), 'utf8')) as {
      sinks: { name: string; rows_written: number; done_through_row: number }[];
    };
    assert.deepEqual(
      report.sinks.map((sink) => [sink.name, sink.rows_written]),
      [
        ['lancedb', valid.length],
        ['jsonl', valid.length],
      ],
    );
    assert.match(result.stdout, /sink lancedb: /);
  });

  it('after a kill -9 mid-run and resume, each valid row is in the sinks once', async () => {
    const child = startCli(run('killed', 'killed.yaml'), { cwd: temp.dir });
    const before = sim.stats().requests;
    await waitFor(() => sim.stats().requests >= before + 250, 'answers of the run to kill');
    child.child.kill('SIGKILL');
    await child.done;
    const resumed = await runCli(['--workspace', temp.workspace, 'resume', 'killed'], { cwd: temp.dir });
    assert.equal(resumed.code, 0, describeResult(resumed));
    const valid = await validKeys(temp, 'killed');
    const table = (await lanceTableRows<{ id: string }>(temp.path('lancedb'), 'killed', ['id'])).map((row) => row.id);
    assert.equal(new Set(table).size, table.length, 'no row twice in the table');
    assert.deepEqual(sorted(table), sorted(valid));
    const parts = (await jsonlPartRows(temp.path('killed-parts'))).map((row) => row.id);
    assert.equal(new Set(parts).size, parts.length, 'no row twice in the parts');
    assert.deepEqual(sorted(parts), sorted(valid));
  });

  it('`sink JOB --sink NAME` sends the rows again from the first, with no model request', async () => {
    const requests = sim.stats().requests;
    const result = await runCli(['--workspace', temp.workspace, 'sink', 'plain', '--sink', 'jsonl'], {
      cwd: temp.dir,
    });
    assert.equal(result.code, 0, describeResult(result));
    assert.equal(sim.stats().requests, requests);
    const valid = await validKeys(temp, 'plain');
    assert.deepEqual(sorted((await jsonlPartRows(temp.path('parts'))).map((row) => row.id)), sorted(valid));
    const unknown = await runCli(['--workspace', temp.workspace, 'sink', 'plain', '--sink', 'nope'], {
      cwd: temp.dir,
    });
    assert.equal(unknown.code, 2, describeResult(unknown));
  });
});

describe('groups.already_from: a sink table counted per group at the first run', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;

  before(async () => {
    temp = await createTempWorkspace('batchpilot-already-from-');
    const rows = Array.from({ length: 200 }, (_, index) =>
      JSON.stringify({
        id: `q${String(index).padStart(4, '0')}`,
        culture: index % 2 === 0 ? 'korean' : 'mural',
        text: `t${String(index)}`,
      }),
    );
    await temp.write('images.jsonl', `${rows.join('\n')}\n`);
    await temp.write('schema.json', JSON.stringify(SCHEMA));
    await temp.write('prompts.yaml', PROMPTS);
    const sink = 'sinks:\n  - { type: lancedb, uri: ./lancedb, table: critiques, every: 20 }\n';
    await temp.write('seed.yaml', `data: { key: id, group_by: culture }\n${sink}`);
    await temp.write(
      'more.yaml',
      `data: { key: id, group_by: culture }\ngroups: { targets: { korean: 60, mural: 60 }, already_from: lancedb }\n${sink}`,
    );
    sim = await startSimulator({ seed: 32, latencyMs: 1, structured: { schemaBreak: 0 } });
  });

  after(async () => {
    await killRunningClis();
    await sim.close();
    await temp.remove();
  });

  it('adds the rows the table holds to `already`: the job sends only what the targets still need', async () => {
    await temp.write(
      'first.jsonl',
      `${(await readFile(temp.path('images.jsonl'), 'utf8')).split('\n').slice(0, 40).join('\n')}\n`,
    );
    const args = (data: string, job: string, configFile: string) => [
      '--workspace',
      temp.workspace,
      'run',
      data,
      '--config',
      configFile,
      '--prompts',
      'prompts.yaml',
      '--job',
      job,
      '--base-url',
      sim.baseUrl,
      '--no-progress',
    ];
    const seeded = await runCli(args('first.jsonl', 'seed', 'seed.yaml'), { cwd: temp.dir });
    assert.equal(seeded.code, 0, describeResult(seeded));
    // 40 rows, 20 of each culture, all valid, in the table.
    const more = await runCli(args('images.jsonl', 'more', 'more.yaml'), { cwd: temp.dir });
    assert.equal(more.code, 0, describeResult(more));
    const report = JSON.parse(await readFile(join(temp.jobDir('more'), 'integration_report.json'), 'utf8')) as {
      groups: { group: string; already: number; valid_rows: number }[];
    };
    assert.deepEqual(
      report.groups.map((group) => [group.group, group.already, group.valid_rows]),
      [
        ['korean', 20, 40],
        ['mural', 20, 40],
      ],
    );
  });
});
