import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { FAST } from '../helpers/batch-cli.ts';
import { describeResult, jsonLines } from '../helpers/run-cli.ts';
import { writeLabelPrompt } from '../helpers/label-prompt.ts';
import { useCliWorkspace } from '../helpers/use-cli-workspace.ts';

/**
 * Issue 12 §3 in batch mode, through the CLI: answers that fail their checks are re-asked in a wave of their own (a
 * separate remote batch at batch prices, never mixed with first asks), and the job ends with the enriched dataset.
 */

const ROWS = 40;

describe('run DATA --prompts (batch mode)', () => {
  const ws = useCliWorkspace({
    prefix: 'batchpilot-data-batch-',
    simulator: { seed: 21, batchLifetimeMs: 100, structured: { schemaBreak: 0.4, reaskFixRate: 1 } },
  });

  before(async () => {
    await writeLabelPrompt(ws.temp, 2);
    const rows = Array.from({ length: ROWS }, (_, index) => JSON.stringify({ text: `row ${String(index)}` }));
    await ws.temp.write('rows.jsonl', `${rows.join('\n')}\n`);
  });

  it('re-asks go out as a batch of their own and the dataset ends complete', async () => {
    const result = await ws.cli(
      [
        'run',
        'rows.jsonl',
        '--prompts',
        'prompts.yaml',
        '--job',
        'waves',
        '--base-url',
        ws.sim.baseUrl,
        '--set',
        'mode=batch',
        ...FAST,
      ],
      { timeoutMs: 90_000 },
    );
    assert.equal(result.code, 0, describeResult(result));
    const stats = ws.sim.stats();
    const reasks = stats.structured.reasks;
    assert.ok(reasks > 0, `some answers broke their schema: ${JSON.stringify(stats.structured)}`);
    // The first asks in one batch, then each wave of re-asks in a batch of its own, holding only re-asks.
    assert.ok(stats.batch.batchesCreated.openai >= 2, JSON.stringify(stats.batch));
    assert.equal(stats.batch.linesSubmitted, ROWS + reasks);
    assert.equal(stats.batch.customIdsResubmitted, reasks);

    const output = jsonLines(result.stdout).find((value) => 'integration' in value) as {
      integration: { prompts: { label: { coverage: number; reasks: { requests: number } } } };
      report: { batch: { chunks: unknown[] } };
    };
    assert.equal(output.integration.prompts.label.coverage, 1);
    assert.equal(output.integration.prompts.label.reasks.requests, reasks);
    const enriched = (await readFile(join(ws.temp.jobDir('waves'), 'enriched.jsonl'), 'utf8')).trimEnd().split('\n');
    assert.equal(enriched.length, ROWS);
    for (const line of enriched) {
      const row = JSON.parse(line) as { label__status: string; label: { label: string } };
      assert.equal(row.label__status, 'valid', line);
      assert.ok(['a', 'b'].includes(row.label.label), line);
    }
  });
});
