import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { describeResult, jsonLines } from '../helpers/run-cli.ts';
import { useCliWorkspace } from '../helpers/use-cli-workspace.ts';

/**
 * Issue 12 §3, `reask.invalid: resample`, through the CLI in realtime: an invalid answer is asked again as the same
 * request with a new seed (no feedback message), at most `reask.max` times, and the re-asks are in the report.
 */

const ROWS = 60;

describe('run DATA --prompts with reask.invalid: resample', () => {
  const ws = useCliWorkspace({
    prefix: 'batchpilot-data-resample-',
    simulator: { seed: 31, structured: { schemaBreak: 0.5 } },
  });

  before(async () => {
    await ws.temp.write(
      'schema.json',
      JSON.stringify({ type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] }),
    );
    await ws.temp.write(
      'prompts.yaml',
      [
        'defaults: { model: gpt-4o-mini }',
        'prompts:',
        '  count:',
        '    text: "Count {{ text }}. Answer with JSON only."',
        '    output: { schema: schema.json }',
        '    reask: { max: 2, invalid: resample }',
      ].join('\n'),
    );
    const rows = Array.from({ length: ROWS }, (_, index) => JSON.stringify({ text: `row ${String(index)}` }));
    await ws.temp.write('rows.jsonl', `${rows.join('\n')}\n`);
  });

  it('re-asks with new seeds, never feedback, at most reask.max times per answer', async () => {
    const result = await ws.cli([
      'run',
      'rows.jsonl',
      '--prompts',
      'prompts.yaml',
      '--job',
      'resample',
      '--base-url',
      ws.sim.baseUrl,
      '--no-progress',
      '--set',
      'integrate.min_coverage=0',
    ]);
    assert.equal(result.code, 0, describeResult(result));
    const output = jsonLines(result.stdout).find((value) => 'integration' in value) as {
      integration: { prompts: { count: { reasks: { requests: number; valid_after: Record<string, number> } } } };
    };
    const { reasks } = output.integration.prompts.count;
    assert.ok(reasks.requests > 0, JSON.stringify(reasks));
    assert.ok(
      Object.keys(reasks.valid_after).every((count) => Number(count) <= 2),
      JSON.stringify(reasks),
    );
    const stats = ws.sim.stats();
    assert.equal(stats.structured.reasks, 0, 'a resample carries no feedback message');
    assert.equal(stats.structured.answers, ROWS + reasks.requests);
    // Each re-ask was the original request with `seed` set to its number.
    const lines = (await readFile(join(ws.temp.jobDir('resample'), 'output.jsonl'), 'utf8')).trimEnd().split('\n');
    assert.equal(lines.length, ROWS);
    for (const line of lines) {
      const item = JSON.parse(line) as { attempts?: number };
      if (item.attempts !== undefined) assert.ok(item.attempts <= 3, line);
    }
  });
});
