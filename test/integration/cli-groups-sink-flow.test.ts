import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { describeResult, killRunningClis, runCli } from '../helpers/run-cli.ts';
import { startHttpServer, withJsonBody, type HttpServerHandle } from '../helpers/start-http-server.ts';
import { startSimulator, type SimulatorHandle } from '../helpers/start-simulator.ts';
import { createTempWorkspace, type TempWorkspace } from '../helpers/temp-workspace.ts';

/**
 * Issue 13: with groups, rows still flow into the sinks while the job runs. The rows of a group that has reached its
 * target are ended (skipped) as soon as it has, not when the run ends: the walk that feeds the sinks follows the run in
 * source order, and would otherwise wait at the first page holding one of them until the last answer.
 */

const ROWS = 3000;

describe('a job with groups feeds its sinks while it runs', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;
  let server: HttpServerHandle;
  /** Model requests the simulator had answered when the sink got its first batch. */
  let requestsAtFirstBatch: number | undefined;
  const received = new Map<number, string[]>();

  before(async () => {
    temp = await createTempWorkspace('batchpilot-groups-sink-flow-');
    // Group `few` (every 10th row) needs 5 valid rows; `rest` has no target: every row of it runs.
    const rows = Array.from({ length: ROWS }, (_, index) =>
      JSON.stringify({
        id: `r${String(index).padStart(5, '0')}`,
        kind: index % 10 === 0 ? 'few' : 'rest',
        text: `row ${String(index)}`,
      }),
    );
    await temp.write('rows.jsonl', `${rows.join('\n')}\n`);
    await temp.write('prompts.yaml', ['prompts:', '  echo:', '    text: "Say something about {{ text }}"'].join('\n'));
    sim = await startSimulator({ seed: 11, latencyMs: 10 });
    server = await startHttpServer(
      withJsonBody((body: { batch_no: number; rows: { id: string }[] }, response: ServerResponse) => {
        requestsAtFirstBatch ??= sim.stats().requests;
        received.set(
          body.batch_no,
          body.rows.map((row) => row.id),
        );
        response.writeHead(200).end('{}');
      }),
    );
    await temp.write(
      'job.yaml',
      [
        'data: { key: id, group_by: kind }',
        'groups: { targets: { few: 5 } }',
        'sinks:',
        `  - { type: http, url: "${server.origin}/rows", every: 100 }`,
      ].join('\n'),
    );
  });

  after(async () => {
    await killRunningClis();
    await server.close();
    await sim.close();
    await temp.remove();
  });

  it('writes batches before the last answers, and every valid row once', async () => {
    const args = ['--workspace', temp.workspace, 'run', 'rows.jsonl', '--prompts', 'prompts.yaml'];
    args.push('--config', 'job.yaml', '--job', 'flow', '--base-url', sim.baseUrl, '--no-progress');
    args.push('--concurrency', '4');
    const result = await runCli(args, { cwd: temp.dir, timeoutMs: 55_000 });
    assert.equal(result.code, 0, describeResult(result));
    const sent = sim.stats().requests;
    // 2,700 `rest` rows and 5 `few` ones are needed; the first batch went out once the first page of rows (1,000) was
    // settled, far from the end.
    assert.ok(
      (requestsAtFirstBatch ?? sent) < sent - 500,
      `first sink batch after ${String(requestsAtFirstBatch)} of ${String(sent)} requests`,
    );
    const ids = [...received.values()].flat();
    assert.equal(ids.length, 2705);
    assert.equal(new Set(ids).size, ids.length);
  });
});
