import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { textEmbedding } from '../../src/simulator/index.ts';
import { describeResult, killRunningClis, runCli, startCli, waitFor } from '../helpers/run-cli.ts';
import { startSimulator, type SimulatorHandle } from '../helpers/start-simulator.ts';
import { createTempWorkspace, type TempWorkspace } from '../helpers/temp-workspace.ts';
import { lanceTableRows } from '../helpers/sink-rows.ts';

/**
 * Issue 13 §2, `vectors:` across kill -9: `resume` opens the sinks again with an embedder, so the rows the killed
 * run had not sent land with their vectors, each valid row once.
 */

const ROWS = 400;
const DIMENSIONS = 6;
const MODEL = 'sim-embed';
const SEED = 43;

describe('a LanceDB sink with vectors: after kill -9 and resume', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;

  before(async () => {
    temp = await createTempWorkspace('batchpilot-sink-vectors-resume-');
    const rows = Array.from({ length: ROWS }, (_, index) =>
      JSON.stringify({ id: `r${String(index).padStart(4, '0')}`, text: `item ${String(index % 25)}` }),
    );
    await temp.write('rows.jsonl', `${rows.join('\n')}\n`);
    await temp.write('prompts.yaml', 'prompts:\n  describe:\n    text: "Describe {{ text }}"\n');
    await temp.write(
      'batchpilot.yaml',
      `data: { key: id }\nsinks:\n  - { type: lancedb, table: items, every: 25, vectors: { from: text, model: ${MODEL} } }\n`,
    );
    sim = await startSimulator({ seed: SEED, latencyMs: 3, embeddingDimensions: DIMENSIONS });
  });

  after(async () => {
    await killRunningClis();
    await sim.close();
    await temp.remove();
  });

  it('holds every row once, each with the vector of its text', async () => {
    const args = ['--workspace', temp.workspace, 'run', 'rows.jsonl', '--prompts', 'prompts.yaml', '--job', 'job'];
    const child = startCli([...args, '--base-url', sim.baseUrl, '--no-progress', '--concurrency', '4'], {
      cwd: temp.dir,
    });
    await waitFor(() => sim.stats().requests >= 150, 'answers of the run to kill');
    child.child.kill('SIGKILL');
    await child.done;
    const resumed = await runCli(['--workspace', temp.workspace, 'resume', 'job'], { cwd: temp.dir });
    assert.equal(resumed.code, 0, describeResult(resumed));
    const enriched = (await readFile(join(temp.jobDir('job'), 'enriched.jsonl'), 'utf8')).split('\n');
    assert.equal(enriched.filter((line) => line !== '').length, ROWS);

    const rows = await lanceTableRows<{ id: string; text: string; vector: Iterable<number> }>(
      temp.path('lancedb'),
      'items',
      ['id', 'text', 'vector'],
    );
    assert.equal(rows.length, ROWS, `every row (seed ${String(SEED)})`);
    assert.equal(new Set(rows.map((row) => row.id)).size, ROWS, 'no row twice');
    for (const row of rows) {
      const expected = textEmbedding(MODEL, row.text, DIMENSIONS).map((value) => Math.fround(value));
      assert.deepEqual(Array.from(row.vector), expected, `row ${row.id} (seed ${String(SEED)})`);
    }
  });
});
