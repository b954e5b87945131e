import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { planJob, resumeJob, runJob, startSimulator, type SimulatorHandle } from '../../src/index.ts';
import { createTempWorkspace, type TempWorkspace } from '../helpers/temp-workspace.ts';

/**
 * Issue 12 through the library: `runJob({ data, prompts })` is the data job `run DATA --prompts` is, with the
 * join-back in its result; the prompts may be given inline; a stopped data job is carried on by `resumeJob`.
 */

let ws: TempWorkspace;
let sim: SimulatorHandle;

const PROMPTS = {
  defaults: { model: 'gpt-4o-mini' },
  prompts: {
    kind: {
      text: 'What kind of thing is {{ name }}? Answer with JSON only.',
      output: {
        schema: 'schema.json',
      },
    },
  },
};

before(async () => {
  ws = await createTempWorkspace('batchpilot-library-data-');
  sim = await startSimulator({ latencyMs: 2, seed: 4, structured: { schemaBreak: 0.3, reaskFixRate: 1 } });
  await ws.write(
    'schema.json',
    JSON.stringify({ type: 'object', properties: { kind: { type: 'string' } }, required: ['kind'] }),
  );
  await ws.write('things.csv', 'name\napple\nhammer\n"river, long"\n');
});

after(async () => {
  await sim.close();
  await ws.remove();
});

describe('runJob({ data, prompts })', () => {
  it('runs a data job and returns its join-back', async () => {
    const cwd = process.cwd();
    // Relative paths in inline prompts are taken from the working folder.
    process.chdir(ws.dir);
    try {
      const result = await runJob({
        data: 'things.csv',
        prompts: PROMPTS,
        workspace: ws.workspace,
        jobId: 'lib-data',
        config: { base_url: sim.baseUrl, retry: { base_delay_ms: 10 } },
      });
      assert.equal(result.outcome, 'completed');
      const integration = result.integration;
      assert.ok(integration !== undefined);
      assert.equal(integration.report.rows, 3);
      assert.equal(integration.report.prompts['kind']?.coverage, 1);
      assert.deepEqual(integration.report.short_of_coverage, []);
      const enriched = integration.report.files.enriched;
      assert.ok(enriched !== null);
      const rows = (await readFile(enriched, 'utf8'))
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as { name: string; kind__status: string });
      assert.deepEqual(
        rows.map((row) => row.name),
        ['apple', 'hammer', 'river, long'],
      );
      // Carrying the ended job on changes nothing and joins back again.
      const again = await resumeJob({ workspace: ws.workspace, jobId: 'lib-data' });
      assert.equal(again.integration?.report.prompts['kind']?.coverage, 1);
    } finally {
      process.chdir(cwd);
    }
  });

  it('planJob({ data, prompts }) plans a data job per prompt, sending nothing', async () => {
    const cwd = process.cwd();
    process.chdir(ws.dir);
    try {
      const requestsBefore = sim.stats().requests;
      const result = await planJob({ data: 'things.csv', prompts: PROMPTS, config: { base_url: sim.baseUrl } });
      assert.equal(result.plan.items, 3);
      assert.deepEqual(
        result.data?.prompts.map((prompt) => [prompt.name, prompt.requests]),
        [['kind', 3]],
      );
      assert.equal(result.data?.prepare.counts.rows, 3);
      assert.equal(sim.stats().requests, requestsBefore);
    } finally {
      process.chdir(cwd);
    }
  });

  it('refuses both input and data, or neither, with USAGE', async () => {
    await assert.rejects(
      runJob({ workspace: ws.workspace, config: { base_url: sim.baseUrl } }),
      (error: Error & { code?: string }) => error.code === 'USAGE',
    );
    await assert.rejects(
      runJob({ input: 'x.jsonl', data: 'things.csv', workspace: ws.workspace, config: { base_url: sim.baseUrl } }),
      (error: Error & { code?: string }) => error.code === 'USAGE',
    );
  });
});
