import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliError, describeResult, jsonLines, runCli, type CliResult } from '../helpers/run-cli.ts';
import { startSimulator, type SimulatorHandle } from '../helpers/start-simulator.ts';
import { createTempWorkspace, type TempWorkspace } from '../helpers/temp-workspace.ts';
import { createTestSeed } from '../helpers/test-seed.ts';
import {
  CRITIQUE_PROMPTS as PROMPTS,
  CRITIQUE_SCHEMA as SCHEMA,
  GROUP_SIZES as SIZES,
  enrichedByGroup,
  interleavedGroupRows,
  type GroupLine,
  groupsRunArgs,
} from '../helpers/critique-groups-fixture.ts';

/**
 * Issue 13 §1 through the CLI, realtime, against the simulator breaking 30% of JSON answers (no re-asks, so they stay
 * invalid): every group with rows enough ends exactly at its target (overshoot 0), `already` counted; a group out of
 * rows ends `short` with its shortfall and the run exits 3 (GROUP_TARGET_SHORT); rows not needed end `skipped` with
 * `target_reached` (not missing, not failed) in the report and the enriched dataset.
 */

const seed = createTestSeed(import.meta.url);

function config(groups: string): string {
  return ['data: { key: id, group_by: meta.culture }', 'groups:', groups].join('\n');
}

interface RunJson {
  outcome: string;
  report: {
    counts: { missing: number; failed: number; skipped?: number; total: number };
    groups?: GroupLine[];
    missing_by_reason: Record<string, number>;
  };
  error?: { code: string };
}

describe('data jobs with group targets (realtime)', () => {
  let temp: TempWorkspace;
  let simulator: SimulatorHandle;

  before(async () => {
    temp = await createTempWorkspace('batchpilot-groups-');
    await temp.write('critique.schema.json', JSON.stringify(SCHEMA));
    await temp.write('prompts.yaml', PROMPTS);
    await temp.write('images.jsonl', interleavedGroupRows(SIZES));
    await temp.write(
      'exact.yaml',
      config(
        '  targets: { korean: 20, indian: 15, mural: 30, "*": 0 }\n  already: { korean: 8 }\n  count_prompt: critique',
      ),
    );
    await temp.write('overshoot.yaml', config('  targets: { korean: 20, indian: 20, "*": 0 }\n  overshoot: 3'));
    simulator = await startSimulator({ seed: seed.derive(1), structured: { schemaBreak: 0.3, reaskFixRate: 1 } });
  });
  after(async () => {
    await simulator.close();
    await temp.remove();
  });

  const run = (configFile: string, job: string): Promise<CliResult> =>
    runCli(
      [
        '--workspace',
        temp.workspace,
        '--json',
        ...groupsRunArgs(job, simulator.baseUrl, configFile),
        '--no-progress',
        '--concurrency',
        '12',
      ],
      { cwd: temp.dir },
    );

  function runJson(result: CliResult): RunJson {
    const found = jsonLines(result.stdout).find((value) => 'report' in value);
    assert.ok(found !== undefined, `${describeResult(result)}\n${seed.note}`);
    return found as unknown as RunJson;
  }

  const enrichedValid = (job: string): Promise<Map<string, { valid: number; skipped: number }>> =>
    enrichedByGroup(join(temp.workspace, 'jobs', job, 'enriched.jsonl'), seed.note);

  it('reaches each target exactly with overshoot 0, counts `already`, and exits 3 for a short group', async () => {
    const result = await run('exact.yaml', 'exact');
    const note = `${describeResult(result)}\n${seed.note}`;
    assert.equal(result.code, 3, note);
    const output = runJson(result);
    assert.equal(output.error?.code ?? cliError(result)?.code, 'GROUP_TARGET_SHORT', note);
    const groups = new Map((output.report.groups ?? []).map((line) => [line.group, line]));
    assert.equal(groups.get('korean')?.valid, 12, note);
    assert.equal(groups.get('korean')?.already, 8, note);
    assert.equal(groups.get('korean')?.state, 'reached', note);
    assert.equal(groups.get('indian')?.valid, 15, note);
    assert.equal(groups.get('mural')?.state, 'short', note);
    assert.equal(groups.get('mural')?.decided, SIZES['mural'], note);
    assert.equal(groups.get('mural')?.shortfall, 30 - (groups.get('mural')?.valid ?? 0), note);
    assert.equal(groups.get('other')?.decided, SIZES['other'], note);
    // Skipped rows are their own state: neither missing nor failed.
    assert.equal(output.report.counts.missing, 0, note);
    assert.equal(output.report.counts.failed, 0, note);
    const skippedRows = (groups.get('korean')?.skipped_rows ?? 0) + (groups.get('indian')?.skipped_rows ?? 0);
    assert.ok(skippedRows > 0, note);
    assert.equal(output.report.counts.skipped, skippedRows * 2, note);
    // The enriched dataset says the same, row by row.
    const enriched = await enrichedValid('exact');
    assert.equal(enriched.get('korean')?.valid, 12, note);
    assert.equal(enriched.get('indian')?.valid, 15, note);
    assert.equal(enriched.get('korean')?.skipped, groups.get('korean')?.skipped_rows, note);
    const missing = await readFile(join(temp.workspace, 'jobs', 'exact', 'missing_records.jsonl'), 'utf8');
    assert.equal(missing, '', note);
    // The integration report's per-group table, counted from the enriched rows.
    const integration = JSON.parse(
      await readFile(join(temp.workspace, 'jobs', 'exact', 'integration_report.json'), 'utf8'),
    ) as { groups: { group: string; valid_rows: number; skipped_rows: number; state: string; shortfall: number }[] };
    const table = new Map(integration.groups.map((line) => [line.group, line]));
    assert.equal(table.get('korean')?.valid_rows, 12, note);
    assert.equal(table.get('korean')?.state, 'reached', note);
    assert.equal(table.get('korean')?.skipped_rows, groups.get('korean')?.skipped_rows, note);
    assert.equal(table.get('indian')?.valid_rows, 15, note);
    assert.equal(table.get('mural')?.state, 'short', note);
    assert.equal(table.get('mural')?.shortfall, groups.get('mural')?.shortfall, note);
    assert.equal(table.get('other')?.state, 'done', note);
  });

  it('shows groups in status, monitor --by group and wait (after the exact job)', async () => {
    const cli = (args: readonly string[]): Promise<CliResult> =>
      runCli(['--workspace', temp.workspace, ...args], { cwd: temp.dir });
    const status = await cli(['--json', 'status', 'exact']);
    const parsed = JSON.parse(status.stdout) as {
      counts: { missing: number };
      skipped: number;
      groups: {
        group: string;
        target: number;
        skipped: number;
        open: number;
        tokens: { input: number };
        cost_usd: number | null;
      }[];
    };
    const note = `${describeResult(status)}\n${seed.note}`;
    assert.equal(parsed.counts.missing, 0, note);
    assert.ok(parsed.skipped > 0, note);
    const korean = parsed.groups.find((group) => group.group === 'korean');
    assert.equal(korean?.target, 20, note);
    assert.equal(korean.open, 0, note);
    assert.ok(korean.tokens.input > 0, note);
    assert.equal(
      parsed.skipped,
      parsed.groups.reduce((sum, group) => sum + group.skipped, 0),
      note,
    );
    const monitor = await cli(['monitor', 'exact', '--by', 'group']);
    assert.equal(monitor.code, 0, describeResult(monitor));
    assert.match(monitor.stdout, /korean/);
    const wrong = await cli(['--json', 'monitor', 'exact', '--by', 'prompt']);
    assert.equal(cliError(wrong)?.code, 'USAGE', describeResult(wrong));
    const wait = await cli(['wait', 'exact']);
    assert.equal(wait.code, 3, describeResult(wait));
  });

  it('keeps each group within target + overshoot', async () => {
    const result = await run('overshoot.yaml', 'overshoot');
    const note = `${describeResult(result)}\n${seed.note}`;
    assert.equal(result.code, 0, note);
    const output = runJson(result);
    for (const name of ['korean', 'indian']) {
      const line = output.report.groups?.find((each) => each.group === name);
      assert.ok(
        line !== undefined && line.valid >= 20 && line.valid <= 23,
        `${name}: ${JSON.stringify(line)}; ${note}`,
      );
    }
  });

  it('serves groups by turns: no group waits while another of the same weight has run twice its share', async () => {
    // Rows group after group in the file (30 a, then 30 b, then 30 c): input order alone would run every a first.
    const rows = ['a', 'b', 'c'].flatMap((culture) =>
      Array.from({ length: 30 }, (_, index) =>
        JSON.stringify({ id: `${culture}-${String(index)}`, meta: { culture } }),
      ),
    );
    await temp.write('sorted.jsonl', `${rows.join('\n')}\n`);
    await temp.write('fair.yaml', `${config('  targets: { "*": 0 }')}\noutput: { order: completion }\n`);
    const result = await runCli(
      [
        '--workspace',
        temp.workspace,
        '--json',
        'run',
        'sorted.jsonl',
        '--prompts',
        'prompts.yaml',
        '--config',
        'fair.yaml',
        '--job',
        'fair',
        '--base-url',
        simulator.baseUrl,
        '--no-progress',
        '--concurrency',
        '1',
      ],
      { cwd: temp.dir },
    );
    const note = `${describeResult(result)}\n${seed.note}`;
    assert.equal(result.code, 0, note);
    // With one request at a time, output.jsonl in completion order is the order rows were admitted in.
    const output = await readFile(join(temp.workspace, 'jobs', 'fair', 'output.jsonl'), 'utf8');
    const order = output
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => (JSON.parse(line) as { custom_id: string }).custom_id)
      .filter((id) => id.startsWith('critique'))
      // critique_0042: the row index; rows 0-29 are a, 30-59 b, 60-89 c.
      .map((id) => ['a', 'b', 'c'][Math.floor(Number(/_(\d+)$/.exec(id)?.[1] ?? NaN) / 30)] ?? '?');
    assert.equal(order.length, 90, `${order.join('')}; ${note}`);
    assert.ok(!order.includes('?'), `${order.join('')}; ${note}`);
    const served = new Map<string, number>();
    for (const group of order) {
      served.set(group, (served.get(group) ?? 0) + 1);
      const counts = ['a', 'b', 'c'].map((name) => served.get(name) ?? 0);
      const [low, high] = [Math.min(...counts), Math.max(...counts)];
      assert.ok(high <= 2 * Math.max(low, 1), `order ${order.join('')}; ${note}`);
    }
  });

  it('refuses groups without data.group_by, naming the key', async () => {
    await temp.write('nogroupby.yaml', 'groups: { targets: { korean: 5 } }');
    for (const file of ['nogroupby.yaml']) {
      const result = await run(file, `refused-${file.slice(0, -5)}`);
      assert.equal(result.code, 2, describeResult(result));
      assert.equal(cliError(result)?.code, 'CONFIG_INVALID', describeResult(result));
    }
  });
});
