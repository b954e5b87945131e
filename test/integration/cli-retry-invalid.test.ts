import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { FAST } from '../helpers/batch-cli.ts';
import { cliError, describeResult, jsonLines, type CliResult } from '../helpers/run-cli.ts';
import { writeLabelPrompt } from '../helpers/label-prompt.ts';
import { useCliWorkspace } from '../helpers/use-cli-workspace.ts';

/**
 * `retry JOB --invalid` (decision 0039): a data job that ended with answers that failed their checks (no re-asks
 * left) asks each of them once more, with its errors as feedback, in realtime and in batch mode. Every answer ends
 * once in the files; the valid ones were not sent again; the per-prompt counts of `status` follow.
 */

const ROWS = 40;

interface PromptLine {
  prompt: string;
  items: number;
  valid: number;
  checks: Record<string, number>;
  pass_rate: number | null;
}

function statusOf(result: CliResult): { prompts?: PromptLine[]; counts: { succeeded: number } } {
  assert.equal(result.code, 0, describeResult(result));
  return JSON.parse(result.stdout) as { prompts?: PromptLine[]; counts: { succeeded: number } };
}

async function outputIds(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8'))
    .trimEnd()
    .split('\n')
    .map((line) => (JSON.parse(line) as { custom_id: string }).custom_id);
}

describe('retry JOB --invalid', () => {
  const ws = useCliWorkspace({
    prefix: 'batchpilot-retry-invalid-',
    // Half the first answers break their schema; every answer to feedback is fixed.
    simulator: { seed: 31, batchLifetimeMs: 100, structured: { schemaBreak: 0.5, reaskFixRate: 1 } },
  });

  before(async () => {
    await writeLabelPrompt(ws.temp, 0, ['  note:', '    text: "A note on {{ text }}"', '    output: { format: text }']);
    const rows = Array.from({ length: ROWS }, (_, index) =>
      JSON.stringify({ id: `r${String(index)}`, text: `row ${String(index)}` }),
    );
    await ws.temp.write('rows.jsonl', `${rows.join('\n')}\n`);
  });

  const runJob = (job: string, extra: readonly string[]): Promise<CliResult> =>
    ws.cli(
      [
        'run',
        'rows.jsonl',
        '--prompts',
        'prompts.yaml',
        '--job',
        job,
        '--base-url',
        ws.sim.baseUrl,
        '--set',
        'integrate.min_coverage=0',
        '--set',
        'data.key=id',
        ...FAST,
        ...extra,
      ],
      { timeoutMs: 60_000 },
    );

  for (const mode of ['realtime', 'batch'] as const) {
    it(`asks the invalid answers once more and ends with every answer once (${mode})`, async () => {
      const job = `reask-${mode}`;
      const first = await runJob(job, ['--set', `mode=${mode}`]);
      assert.equal(first.code, 0, describeResult(first));
      const before = statusOf(await ws.cli(['status', job]));
      const label = before.prompts?.find((line) => line.prompt === 'label');
      const note = before.prompts?.find((line) => line.prompt === 'note');
      assert.equal(label?.items, ROWS, JSON.stringify(before.prompts));
      assert.equal(note?.items, ROWS);
      assert.equal(note?.valid, ROWS);
      const invalid = label?.checks['invalid'] ?? 0;
      assert.ok(invalid > 0 && invalid < ROWS, `some answers broke their schema: ${JSON.stringify(label)}`);
      assert.equal(label?.valid, ROWS - invalid);

      const asked = ws.sim.stats().requests;
      const { reasks: reasksBefore, answers: answersBefore } = ws.sim.stats().structured;
      const retried = await ws.cli(['retry', job, '--invalid', '--no-progress'], { timeoutMs: 60_000 });
      assert.equal(retried.code, 0, describeResult(retried));
      assert.match(retried.stderr, new RegExp(`re-asking ${String(invalid)} answers? that ended invalid or truncated`));
      // Only the invalid ones went out again, each as a re-ask with its errors.
      assert.equal(ws.sim.stats().structured.reasks - reasksBefore, invalid);
      assert.equal(ws.sim.stats().structured.answers - answersBefore, invalid);
      // Besides the endpoint probe (decision 0009), no text prompt was asked again either.
      if (mode === 'realtime') assert.ok(ws.sim.stats().requests - asked <= invalid + 1);

      const after = statusOf(await ws.cli(['status', job]));
      const labelAfter = after.prompts?.find((line) => line.prompt === 'label');
      assert.equal(labelAfter?.valid, ROWS, JSON.stringify(labelAfter));
      assert.deepEqual(labelAfter?.checks, { valid: ROWS });
      assert.equal(labelAfter?.pass_rate, 1);
      assert.equal(after.counts.succeeded, 2 * ROWS);

      const ids = await outputIds(join(ws.temp.jobDir(job), 'output.jsonl'));
      assert.equal(ids.length, 2 * ROWS);
      assert.equal(new Set(ids).size, 2 * ROWS);
      const enriched = (await readFile(join(ws.temp.jobDir(job), 'enriched.jsonl'), 'utf8')).trimEnd().split('\n');
      assert.equal(enriched.length, ROWS);
      for (const line of enriched) assert.equal((JSON.parse(line) as { label__status: string }).label__status, 'valid');
      const output = jsonLines(retried.stdout).find((value) => 'integration' in value) as
        { integration: { prompts: { label: { coverage: number } } } } | undefined;
      assert.equal(output?.integration.prompts.label.coverage, 1, describeResult(retried));

      // Nothing is left to re-ask: a second retry sends nothing.
      const answers = ws.sim.stats().structured.answers;
      const again = await ws.cli(['retry', job, '--invalid', '--no-progress'], { timeoutMs: 60_000 });
      assert.equal(again.code, 0, describeResult(again));
      assert.match(again.stderr, /re-asking 0 answers/);
      assert.equal(ws.sim.stats().structured.answers, answers);
    });
  }

  it('a job of request lines has no checks to re-ask: refused, naming the flag', async () => {
    await ws.temp.write(
      'lines.jsonl',
      `${JSON.stringify({ custom_id: 'a', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] } })}\n`,
    );
    const plain = await ws.cli(['run', 'lines.jsonl', '--job', 'plain', '--base-url', ws.sim.baseUrl, '--no-progress']);
    assert.equal(plain.code, 0, describeResult(plain));
    const refused = await ws.cli(['retry', 'plain', '--invalid']);
    assert.equal(refused.code, 2, describeResult(refused));
    assert.equal(cliError(refused)?.code, 'USAGE');
    assert.match(cliError(refused)?.message ?? '', /--invalid: job plain is not a data job/);
  });
});
