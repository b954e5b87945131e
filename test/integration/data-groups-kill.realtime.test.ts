import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeResult, killRunningClis, startCli, waitFor } from '../helpers/run-cli.ts';
import { createTestSeed } from '../helpers/test-seed.ts';
import { CRITIQUE_PROMPTS as PROMPTS, groupsRunArgs } from '../helpers/critique-groups-fixture.ts';
import { useCliWorkspace } from '../helpers/use-cli-workspace.ts';

/**
 * Issue 13 §1: kill -9 and resume keep group counts exact. A data job of three groups (two with rows enough for their
 * targets, one short) under 30% invalid answers is killed twice mid-run after a seeded number of answers, then resumed
 * to its end: each group with rows enough ends exactly at its target (overshoot 0), the short one with every row sent,
 * and the enriched dataset agrees row by row (no row missing, rows not needed `skipped` with `target_reached`).
 */

const seed = createTestSeed(import.meta.url);
const JOB = 'groups-killed';
const ROWS_PER_GROUP = 300;
const TARGETS = { a: 120, b: 150, c: 400 } as const;

describe('a data job with group targets killed -9 in realtime, then resumed', () => {
  after(killRunningClis);
  const ws = useCliWorkspace({
    prefix: 'batchpilot-groups-kill-',
    simulator: { latencyMs: 4, jitterMs: 2, seed: seed.derive(1), structured: { schemaBreak: 0.3, reaskFixRate: 1 } },
  });

  before(async () => {
    const schema = { type: 'object', properties: { c: { type: 'string' } }, required: ['c'] };
    await ws.temp.write('critique.schema.json', JSON.stringify(schema));
    await ws.temp.write('prompts.yaml', PROMPTS);
    await ws.temp.write(
      'groups.yaml',
      `data: { key: id, group_by: culture }\ngroups:\n  targets: ${JSON.stringify(TARGETS)}\n`,
    );
    const rows: string[] = [];
    for (let index = 0; index < ROWS_PER_GROUP; index += 1) {
      for (const culture of Object.keys(TARGETS))
        rows.push(JSON.stringify({ id: `${culture}${String(index)}`, culture }));
    }
    await ws.temp.write('images.jsonl', `${rows.join('\n')}\n`);
  });

  it('ends each group exactly at its target, or short with every row sent', async () => {
    const kills = [seed.between(50, 400), seed.between(50, 400)];
    const story = `kills after ${JSON.stringify(kills)} answers; ${seed.note}`;
    const common = ['--no-progress', '--concurrency', '16'];
    const first = groupsRunArgs(JOB, ws.sim.baseUrl);
    for (const [index, answers] of kills.entries()) {
      const args = index === 0 ? first : ['resume', JOB];
      const wanted = ws.sim.stats().answered200 + answers;
      const child = startCli(['--workspace', ws.temp.workspace, '--json', ...args, ...common], { cwd: ws.temp.dir });
      await waitFor(() => ws.sim.stats().answered200 >= wanted, `${String(answers)} answers to run ${String(index)}`);
      child.child.kill('SIGKILL');
      const result = await child.done;
      assert.equal(
        result.signal,
        'SIGKILL',
        `run ${String(index)} ended before its kill; ${story}\n${describeResult(result)}`,
      );
    }
    const final = await ws.cli(['resume', JOB, ...common]);
    assert.equal(final.code, 3, `${story}\n${describeResult(final)}`);

    const text = await readFile(join(ws.temp.jobDir(JOB), 'enriched.jsonl'), 'utf8');
    const valid = new Map<string, number>();
    const skipped = new Map<string, number>();
    let rows = 0;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      rows += 1;
      const row = JSON.parse(line) as Record<string, unknown> & { culture: string };
      const statuses = [row['critique__status'], row['caption__status']];
      assert.ok(!statuses.includes('missing'), `row ${String(row['id'])} missing; ${story}`);
      if (statuses.every((status) => status === 'valid' || status === 'repaired')) {
        valid.set(row.culture, (valid.get(row.culture) ?? 0) + 1);
      }
      if (statuses.every((status) => status === 'skipped'))
        skipped.set(row.culture, (skipped.get(row.culture) ?? 0) + 1);
    }
    assert.equal(rows, ROWS_PER_GROUP * 3, story);
    assert.equal(valid.get('a'), TARGETS.a, story);
    assert.equal(valid.get('b'), TARGETS.b, story);
    assert.ok((skipped.get('a') ?? 0) > 0 && (skipped.get('b') ?? 0) > 0, story);
    assert.equal(skipped.get('c') ?? 0, 0, `the short group sent every row; ${story}`);
    const report = JSON.parse(await readFile(join(ws.temp.jobDir(JOB), 'report.json'), 'utf8')) as {
      groups: { group: string; valid: number; state: string; shortfall: number }[];
    };
    const c = report.groups.find((line) => line.group === 'c');
    assert.equal(c?.state, 'short', story);
    assert.equal(c.valid, valid.get('c'), story);
    assert.equal(c.shortfall, TARGETS.c - c.valid, story);
  });
});
