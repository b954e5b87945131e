import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FAST } from '../helpers/batch-cli.ts';
import { cliError, describeResult, jsonLines, killRunningClis, type CliResult } from '../helpers/run-cli.ts';
import { createTestSeed } from '../helpers/test-seed.ts';
import {
  CRITIQUE_PROMPTS as PROMPTS,
  GROUP_SIZES as SIZES,
  enrichedByGroup,
  interleavedGroupRows,
  type GroupLine,
  groupsRunArgs,
} from '../helpers/critique-groups-fixture.ts';
import { useCliWorkspace } from '../helpers/use-cli-workspace.ts';

/**
 * Issue 13 §1 in batch mode (docs/decisions/0028), through the CLI, against the simulator's Batch API breaking 30% of
 * JSON answers (no re-asks, so they stay invalid): rows go out in waves, the policy asked again each time batches
 * merge, so every group with rows enough ends exactly at its target with overshoot 0, `already` counted, a group out of
 * rows ends `short` and the run exits 3 (GROUP_TARGET_SHORT), rows not needed end `skipped` (`target_reached`). Killed
 * -9 between waves (a wave merged and not closed, then the next wave's batch just created) and resumed: the counts stay
 * exact and no request goes into two batches.
 */

const seed = createTestSeed(import.meta.url);

interface RunJson {
  report: { counts: { missing: number; failed: number; skipped?: number; succeeded: number }; groups?: GroupLine[] };
  error?: { code: string };
}

describe('data jobs with group targets (batch mode)', () => {
  after(killRunningClis);
  const ws = useCliWorkspace({
    prefix: 'batchpilot-groups-batch-',
    simulator: { seed: seed.derive(1), batchLifetimeMs: 50, structured: { schemaBreak: 0.3, reaskFixRate: 1 } },
  });

  before(async () => {
    const schema = { type: 'object', properties: { critique: { type: 'string' } }, required: ['critique'] };
    await ws.temp.write('critique.schema.json', JSON.stringify(schema));
    await ws.temp.write('prompts.yaml', PROMPTS);
    await ws.temp.write('images.jsonl', interleavedGroupRows(SIZES));
    await ws.temp.write(
      'groups.yaml',
      [
        'mode: batch',
        'data: { key: id, group_by: meta.culture }',
        'groups:',
        '  targets: { korean: 20, indian: 15, mural: 30, "*": 0 }',
        '  already: { korean: 8 }',
        '  count_prompt: critique',
      ].join('\n'),
    );
  });

  const run = (job: string, env: Record<string, string> = {}): Promise<CliResult> =>
    ws.cli([...groupsRunArgs(job, ws.sim.baseUrl), ...FAST], { env });

  function runJson(result: CliResult, note: string): RunJson {
    const found = jsonLines(result.stdout).find((value) => 'report' in value);
    assert.ok(found !== undefined, note);
    return found as unknown as RunJson;
  }

  /** Valid and skipped rows per group, from the enriched dataset. */
  const enriched = (job: string): Promise<Map<string, { valid: number; skipped: number }>> =>
    enrichedByGroup(join(ws.temp.jobDir(job), 'enriched.jsonl'), seed.note, { noneMissing: true });

  /** The checks both tests make of a job that ended: exact targets, the short group, skipped rows. */
  async function checkEnded(job: string, result: CliResult, note: string): Promise<RunJson> {
    assert.equal(result.code, 3, note);
    const output = runJson(result, note);
    assert.equal(output.error?.code ?? cliError(result)?.code, 'GROUP_TARGET_SHORT', note);
    const groups = new Map((output.report.groups ?? []).map((line) => [line.group, line]));
    assert.equal(groups.get('korean')?.valid, 12, note);
    assert.equal(groups.get('korean')?.already, 8, note);
    assert.equal(groups.get('korean')?.state, 'reached', note);
    assert.equal(groups.get('indian')?.valid, 15, note);
    assert.equal(groups.get('indian')?.state, 'reached', note);
    assert.equal(groups.get('mural')?.state, 'short', note);
    assert.equal(groups.get('mural')?.decided, SIZES['mural'], note);
    assert.equal(groups.get('mural')?.shortfall, 30 - (groups.get('mural')?.valid ?? 0), note);
    assert.equal(groups.get('other')?.decided, SIZES['other'], note);
    for (const line of groups.values()) assert.equal(line.in_flight, 0, note);
    assert.equal(output.report.counts.missing, 0, note);
    assert.equal(output.report.counts.failed, 0, note);
    const skippedRows = (groups.get('korean')?.skipped_rows ?? 0) + (groups.get('indian')?.skipped_rows ?? 0);
    assert.ok(skippedRows > 0, note);
    assert.equal(output.report.counts.skipped, skippedRows * 2, note);
    const rows = await enriched(job);
    assert.equal(rows.get('korean')?.valid, 12, note);
    assert.equal(rows.get('indian')?.valid, 15, note);
    assert.equal(rows.get('korean')?.skipped, groups.get('korean')?.skipped_rows, note);
    return output;
  }

  it('reaches each target exactly with overshoot 0, in waves, and exits 3 for a short group', async () => {
    const before = ws.sim.stats().batch;
    const result = await run('exact');
    const note = `${describeResult(result)}\n${seed.note}`;
    const output = await checkEnded('exact', result, note);
    const stats = ws.sim.stats().batch;
    // The invalid answers of the first wave were made up by later waves, each a batch of its own.
    assert.ok(stats.batchesCreated.openai - before.batchesCreated.openai >= 2, `${JSON.stringify(stats)}; ${note}`);
    // Only admitted rows were sent, each request once: every line submitted is an answered item.
    assert.equal(stats.linesSubmitted - before.linesSubmitted, output.report.counts.succeeded, note);
    // Each item's group was kept at ingest: `status` counts per group from the store.
    const status = await ws.cli(['status', 'exact']);
    const parsed = JSON.parse(status.stdout) as { skipped: number; groups: { group: string; skipped: number }[] };
    assert.equal(parsed.skipped, output.report.counts.skipped, describeResult(status));
    assert.equal(
      parsed.groups.find((line) => line.group === 'korean')?.skipped,
      (output.report.groups?.find((line) => line.group === 'korean')?.skipped_rows ?? 0) * 2,
      describeResult(status),
    );
  });

  it('killed -9 between waves, then resumed: counts exact, no request in two batches', async () => {
    const job = 'killed';
    const before = ws.sim.stats().batch;
    // The first wave merged, its chunk not closed; then, resumed, killed just after the next wave's batch is created.
    const first = await run(job, { BATCHPILOT_CRASH_AT: 'before-close:1' });
    assert.equal(first.signal, 'SIGKILL', `${describeResult(first)}\n${seed.note}`);
    const second = await ws.cli(['resume', job, ...FAST], { env: { BATCHPILOT_CRASH_AT: 'after-create:1' } });
    assert.equal(second.signal, 'SIGKILL', `${describeResult(second)}\n${seed.note}`);
    const final = await ws.cli(['resume', job, ...FAST]);
    const note = `${describeResult(final)}\n${seed.note}`;
    const output = await checkEnded(job, final, note);
    const stats = ws.sim.stats().batch;
    assert.equal(stats.duplicateBatches, 0, note);
    // No request in two batches (the wave in a remote batch at the kill was collected, not submitted again).
    assert.equal(stats.linesSubmitted - before.linesSubmitted, output.report.counts.succeeded, note);
  });
});
