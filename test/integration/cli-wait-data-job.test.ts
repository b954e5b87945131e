import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeResult, killRunningClis, runCli, startCli, waitFor } from '../helpers/run-cli.ts';
import { startHttpServer, withJsonBody, type HttpServerHandle } from '../helpers/start-http-server.ts';
import { startSimulator, type SimulatorHandle } from '../helpers/start-simulator.ts';
import { createTempWorkspace, type TempWorkspace } from '../helpers/temp-workspace.ts';

/**
 * `wait JOB` on a data job returns once its run has joined back: the enriched dataset, the integration report and
 * the sinks' last batches are written before the run lets go of the job (a slow sink makes the window wide).
 */

const ROWS = 200;

describe('wait on a data job', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;
  let server: HttpServerHandle;
  const received = new Map<number, number>();

  before(async () => {
    temp = await createTempWorkspace('batchpilot-wait-data-');
    const rows = Array.from({ length: ROWS }, (_, index) => JSON.stringify({ id: `r${String(index)}`, text: 'x' }));
    await temp.write('rows.jsonl', `${rows.join('\n')}\n`);
    await temp.write('prompts.yaml', ['prompts:', '  echo:', '    text: "Say {{ text }}"'].join('\n'));
    sim = await startSimulator({ seed: 5, latencyMs: 1 });
    // Each batch is taken after 1.5 s: the last one lands well after the last answer.
    server = await startHttpServer(
      withJsonBody((body: { batch_no: number; rows: unknown[] }, response: ServerResponse) => {
        setTimeout(() => {
          received.set(body.batch_no, body.rows.length);
          response.writeHead(200).end('{}');
        }, 1500);
      }),
    );
    await temp.write(
      'job.yaml',
      ['data: { key: id }', 'sinks:', `  - { type: http, url: "${server.origin}/rows", every: 150 }`].join('\n'),
    );
  });

  after(async () => {
    await killRunningClis();
    await server.close();
    await sim.close();
    await temp.remove();
  });

  it('returns after the enriched dataset, the report and every sink batch are written', async () => {
    const args = ['--workspace', temp.workspace, 'run', 'rows.jsonl', '--prompts', 'prompts.yaml'];
    args.push('--config', 'job.yaml', '--job', 'slow-sink', '--base-url', sim.baseUrl, '--no-progress');
    const run = startCli(args, { cwd: temp.dir, timeoutMs: 50_000 });
    // The job exists once its first batch is being written (or the run ended early, which the run's result says).
    let ended = false;
    void run.done.then(() => (ended = true));
    await waitFor(() => run.stderr.includes('job slow-sink') || ended, 'the job to be created');
    const waited = await runCli(['--workspace', temp.workspace, 'wait', 'slow-sink'], {
      cwd: temp.dir,
      timeoutMs: 50_000,
    });
    assert.equal(waited.code, 0, describeResult(waited));
    // Read at once, before the run's own process may have finished writing anything more.
    const rowsInSink = [...received.values()].reduce((sum, count) => sum + count, 0);
    const report = await readFile(join(temp.jobDir('slow-sink'), 'integration_report.json'), 'utf8');
    assert.equal(rowsInSink, ROWS);
    assert.match(report, /"sinks"/);
    const result = await run.done;
    assert.equal(result.code, 0, describeResult(result));
  });
});
