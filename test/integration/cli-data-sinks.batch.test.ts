import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FAST } from '../helpers/batch-cli.ts';
import { describeResult, killRunningClis } from '../helpers/run-cli.ts';
import { createTestSeed } from '../helpers/test-seed.ts';
import { useCliWorkspace } from '../helpers/use-cli-workspace.ts';
import {
  SENTIMENT_PROMPTS as PROMPTS,
  SENTIMENT_SCHEMA as SCHEMA,
  jsonlPartRows,
  lanceTableRows,
} from '../helpers/sink-rows.ts';

/**
 * Issue 13 §2 in batch mode (docs/decisions/0026 §1, 0028): a batch-mode data job with group targets and two sinks (a
 * LanceDB table, JSONL part files), killed -9 mid-run (a batch just created) and again between a sink batch's write
 * and its commit in the outbox (the join-back after the run), then resumed: every valid row is in each sink exactly
 * once, and rows skipped by their group's target are in none.
 */

const seed = createTestSeed(import.meta.url);
const JOB = 'sinks-batch';
const GROUPS = ['a', 'b', 'c'] as const;
const ROWS_PER_GROUP = 100;

const sorted = (ids: readonly string[]): string[] => [...ids].sort();

describe('sinks of a batch-mode data job with groups, killed -9 and resumed', () => {
  after(killRunningClis);
  const ws = useCliWorkspace({
    prefix: 'batchpilot-sinks-batch-',
    simulator: { seed: seed.derive(1), batchLifetimeMs: 50, structured: { schemaBreak: 0.2, reaskFixRate: 0 } },
  });

  before(async () => {
    const rows: string[] = [];
    for (let index = 0; index < ROWS_PER_GROUP; index += 1) {
      for (const group of GROUPS) {
        rows.push(
          JSON.stringify({
            id: `${group}${String(index).padStart(3, '0')}`,
            group,
            text: `post ${group} ${String(index)}`,
          }),
        );
      }
    }
    await ws.temp.write('posts.jsonl', `${rows.join('\n')}\n`);
    await ws.temp.write('schema.json', JSON.stringify(SCHEMA));
    await ws.temp.write('prompts.yaml', PROMPTS);
    await ws.temp.write(
      'job.yaml',
      [
        'mode: batch',
        'data: { key: id, group_by: group }',
        'groups: { targets: { a: 40, b: 60, "*": 0 } }',
        'integrate: { min_coverage: 0 }',
        'sinks:',
        '  - { type: lancedb, uri: ./lancedb, table: posts, every: 25 }',
        '  - { type: jsonl, dir: parts, every: 20 }',
      ].join('\n'),
    );
  });

  it('puts every valid row in each sink exactly once', async () => {
    const first = await ws.cli(
      [
        'run',
        'posts.jsonl',
        '--prompts',
        'prompts.yaml',
        '--config',
        'job.yaml',
        '--job',
        JOB,
        '--base-url',
        ws.sim.baseUrl,
        ...FAST,
      ],
      { env: { BATCHPILOT_CRASH_AT: 'after-create:2' } },
    );
    assert.equal(first.signal, 'SIGKILL', `${describeResult(first)}\n${seed.note}`);
    const second = await ws.cli(['resume', JOB, ...FAST], { env: { BATCHPILOT_CRASH_AT: 'after-sink-write:3' } });
    assert.equal(second.signal, 'SIGKILL', `${describeResult(second)}\n${seed.note}`);
    const final = await ws.cli(['resume', JOB, ...FAST]);
    const note = `${describeResult(final)}\n${seed.note}`;
    assert.equal(final.code, 0, note);

    const enriched = (await readFile(join(ws.temp.jobDir(JOB), 'enriched.jsonl'), 'utf8'))
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { id: string; group: string; sentiment__status: string });
    const valid = enriched.filter((row) => row.sentiment__status === 'valid').map((row) => row.id);
    const perGroup = (group: string): number => valid.filter((id) => id.startsWith(group)).length;
    assert.equal(perGroup('a'), 40, note);
    assert.equal(perGroup('b'), 60, note);
    assert.ok(
      enriched.some((row) => row.sentiment__status === 'skipped'),
      note,
    );

    const table = (await lanceTableRows<{ id: string }>(ws.temp.path('lancedb'), 'posts', ['id'])).map((row) => row.id);
    assert.equal(new Set(table).size, table.length, `a row twice in the table; ${note}`);
    assert.deepEqual(sorted(table), sorted(valid), note);
    const parts = (await jsonlPartRows(ws.temp.path('parts'))).map((row) => row.id);
    assert.equal(new Set(parts).size, parts.length, `a row twice in the parts; ${note}`);
    assert.deepEqual(sorted(parts), sorted(valid), note);
  });
});
