import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { delay, describeResult, jsonLines, killRunningClis, runCli, startCli } from '../helpers/run-cli.ts';
import { startSimulator, type SimulatorHandle } from '../helpers/start-simulator.ts';
import { createTempWorkspace, type TempWorkspace } from '../helpers/temp-workspace.ts';
import { createTestSeed } from '../helpers/test-seed.ts';
import { CRITIQUE_SCHEMA as SCHEMA } from '../helpers/critique-groups-fixture.ts';

/**
 * Issue 13 §3 through the CLI: while a data job with groups and a JSONL sink runs in another process, `status --json`
 * and `monitor --json` give each group its ETA and each sink its rows, batches and lag, read from the store; once it
 * ends, a group at its target is `done`, one out of rows `short`, and the sink figures are the part files'. (With
 * groups, the sink walk's page of rows waits for rows not admitted yet, so a small job's rows reach the sink at the
 * end: the lag grows while it runs.)
 */

const seed = createTestSeed(import.meta.url);

const PROMPTS = [
  'defaults: { model: gpt-4o-mini, request: { max_tokens: 50 } }',
  'prompts:',
  '  critique:',
  '    text: "Critique image {{ id }}. Answer with JSON only."',
  '    output: { schema: critique.schema.json }',
  '    reask: { max: 0 }',
].join('\n');

const SIZES: Record<string, number> = { korean: 120, mural: 40, other: 10 };

const CONFIG = [
  'data: { key: id, group_by: culture }',
  'groups:',
  '  targets: { korean: 60, mural: 45, "*": 0 }',
  '  already: { korean: 5 }',
  'sinks:',
  '  - { type: jsonl, dir: parts, every: 10 }',
].join('\n');

interface GroupJson {
  group: string;
  valid_answers: number;
  open: number;
  eta: string;
  eta_s: number | null;
  recent_valid_per_s: number;
}

interface SinkJson {
  name: string;
  rows_written: number;
  batches: number;
  pending_batches: number;
  lag_rows: number | null;
  last_batch_at: string | null;
  last_batch_age_s: number | null;
}

interface StatusJson {
  state: string;
  groups?: GroupJson[];
  sinks?: SinkJson[];
}

describe('status and monitor of a data job with groups and a sink', () => {
  let temp: TempWorkspace;
  let simulator: SimulatorHandle;

  before(async () => {
    temp = await createTempWorkspace('batchpilot-monitor-sinks-');
    await temp.write('critique.schema.json', JSON.stringify(SCHEMA));
    await temp.write('prompts.yaml', PROMPTS);
    await temp.write('job.yaml', CONFIG);
    const rows: string[] = [];
    for (const [group, size] of Object.entries(SIZES)) {
      for (let index = 0; index < size; index += 1)
        rows.push(JSON.stringify({ id: `${group}-${String(index)}`, culture: group }));
    }
    await temp.write('images.jsonl', `${rows.join('\n')}\n`);
    // Slow enough answers that the job is seen running; a fifth of the JSON answers break the schema (not re-asked).
    simulator = await startSimulator({
      seed: seed.derive(1),
      latencyMs: 150,
      structured: { schemaBreak: 0.2, reaskFixRate: 0 },
    });
  });
  after(async () => {
    await killRunningClis();
    await simulator.close();
    await temp.remove();
  });

  const status = async (): Promise<StatusJson> => {
    const result = await runCli(['--workspace', temp.workspace, '--json', 'status', 'watched'], { cwd: temp.dir });
    assert.equal(result.code, 0, describeResult(result));
    return JSON.parse(result.stdout) as StatusJson;
  };

  it('shows ETA per group and rows, batches and lag per sink, live and at the end', async () => {
    const run = startCli(
      [
        '--workspace',
        temp.workspace,
        'run',
        'images.jsonl',
        '--prompts',
        'prompts.yaml',
        '--config',
        'job.yaml',
        '--job',
        'watched',
        '--base-url',
        simulator.baseUrl,
        '--no-progress',
        '--concurrency',
        '2',
      ],
      { cwd: temp.dir },
    );
    // Started once the job is in the store; monitor then follows it to its end, a JSON view per refresh.
    let live: StatusJson | undefined;
    let exited = false;
    void run.done.then(() => (exited = true));
    while (live === undefined && !exited) {
      await delay(100);
      const result = await runCli(['--workspace', temp.workspace, '--json', 'status', 'watched'], { cwd: temp.dir });
      if (result.code !== 0) continue;
      const seen = JSON.parse(result.stdout) as StatusJson;
      const korean = seen.groups?.find((group) => group.group === 'korean');
      if (seen.state === 'running' && korean?.eta === 'estimated' && korean.valid_answers > 0) live = seen;
    }
    assert.ok(live !== undefined, `the job was seen running with an ETA (seed ${String(seed.seed)})`);
    const monitor = runCli(['--workspace', temp.workspace, '--json', 'monitor', 'watched', '--interval-ms', '100'], {
      cwd: temp.dir,
    });

    // Live: the ETA is a number of seconds; the lag is the valid answers so far less the rows in the sink.
    const korean = live.groups?.find((group) => group.group === 'korean');
    assert.ok(korean !== undefined && korean.eta_s !== null && korean.eta_s >= 0, JSON.stringify(live.groups));
    assert.ok(korean.recent_valid_per_s > 0, JSON.stringify(korean));
    const sink = live.sinks?.[0];
    assert.ok(sink !== undefined && sink.lag_rows !== null, JSON.stringify(live.sinks));
    const validSoFar = (live.groups ?? []).reduce((sum, group) => sum + group.valid_answers, 0);
    assert.equal(sink.lag_rows, Math.max(0, validSoFar - sink.rows_written), JSON.stringify(live));
    assert.ok(validSoFar > 0 && sink.lag_rows > 0, JSON.stringify(live));
    assert.equal(sink.last_batch_at === null, sink.batches === 0, JSON.stringify(sink));

    const ran = await run.done;
    // mural has 40 rows for a target of 45: short, exit 3.
    assert.equal(ran.code, 3, describeResult(ran));
    const watched = await monitor;
    assert.equal(watched.code, 0, describeResult(watched));
    const views = jsonLines(watched.stdout) as unknown as { status: StatusJson }[];
    assert.ok(views.length > 0, describeResult(watched));

    // At the end: the files say what was sunk; the store's figures match them, for status and monitor alike.
    const parts = (await readdir(temp.path('parts'))).filter((name) => name.endsWith('.jsonl'));
    let partRows = 0;
    for (const name of parts) {
      partRows += (await readFile(join(temp.path('parts'), name), 'utf8')).split('\n').filter(Boolean).length;
    }
    const report = JSON.parse(await readFile(join(temp.jobDir('watched'), 'integration_report.json'), 'utf8')) as {
      groups: { group: string; valid_rows: number }[];
    };
    const validRows = report.groups.reduce((sum, group) => sum + group.valid_rows, 0);
    assert.equal(partRows, validRows);
    const ended = await status();
    const lastView = views.at(-1)?.status;
    for (const view of [ended, lastView]) {
      const etas = Object.fromEntries((view?.groups ?? []).map((group) => [group.group, [group.eta, group.eta_s]]));
      assert.deepEqual(etas, { korean: ['done', null], mural: ['short', null], other: ['done', null] });
    }
    const [figures] = ended.sinks ?? [];
    assert.deepEqual(
      [figures?.name, figures?.rows_written, figures?.batches, figures?.pending_batches, figures?.lag_rows],
      ['jsonl', partRows, parts.length, 0, 0],
      JSON.stringify(ended.sinks),
    );
    // monitor's last view is taken once the run lets go of the job, which may be before its last sink batch is
    // written: whatever it caught, the rows in the sink and the lag add up to the valid rows.
    const [caught] = lastView?.sinks ?? [];
    assert.equal((caught?.rows_written ?? 0) + (caught?.lag_rows ?? 0), partRows, JSON.stringify(lastView?.sinks));
  });
});
