import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { after, describe, it } from 'node:test';
import { cliError, describeResult, killRunningClis, runCli } from '../helpers/run-cli.ts';
import { withSimulator } from '../helpers/start-simulator.ts';
import { createTempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';
import { runArgs } from '../helpers/run-args.ts';

/**
 * Issue 10 section 6, "messages": a file whose every line is rejected says why (the first reasons, not only the
 * count), and a row with a wrong-typed generation parameter or `"stream": true` is a reject, never sent.
 */

after(killRunningClis);

const messages = [{ role: 'user', content: 'hi' }];

describe('messages of a run', () => {
  it('a file whose lines are all rejected prints the first reasons', async () => {
    const temp = await createTempWorkspace('batchpilot-msgs-');
    try {
      const input = await temp.write('bad.jsonl', toJsonl(['not json', '{"messages": []}', '{"messages": "x"}', '[]']));
      const result = await runCli(runArgs(temp, input, {}, ['--simulate']), {
        cwd: temp.dir,
      });
      const error = cliError(result);
      assert.equal(error?.code, 'INPUT_EMPTY', describeResult(result));
      // The reasons the rejects file holds, the first ones quoted in the message.
      const [jobId] = await readdir(`${temp.workspace}/jobs`);
      const rejects = (await readFile(`${temp.workspace}/jobs/${String(jobId)}/rejects.jsonl`, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { reason: string });
      assert.equal(rejects.length, 4);
      for (const reject of rejects.slice(0, 3)) {
        assert.ok(error?.message.includes(reject.reason), `${reject.reason}\n${describeResult(result)}`);
      }
    } finally {
      await temp.remove();
    }
  });

  it('temperature "hot" and "stream": true are rejected, not sent', async () => {
    const temp = await createTempWorkspace('batchpilot-msgs-');
    try {
      const input = await temp.write(
        'rows.jsonl',
        toJsonl([
          JSON.stringify({ id: 'ok', messages }),
          JSON.stringify({ id: 'hot', messages, temperature: 'hot' }),
          JSON.stringify({ id: 'streamed', messages, stream: true }),
        ]),
      );
      await withSimulator({ latencyMs: 1, seed: 3 }, async (sim) => {
        const result = await runCli(runArgs(temp, input, { job: 'rows', baseUrl: sim.baseUrl }, ['--model', 'm']), {
          cwd: temp.dir,
          env: { OPENAI_API_KEY: undefined },
        });
        assert.equal(result.code, 0, describeResult(result));
        assert.equal(sim.stats().generationRequests, 1, describeResult(result));
      });
      const rejects = (await readFile(`${temp.jobDir('rows')}/rejects.jsonl`, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { custom_id?: string });
      assert.deepEqual(
        rejects.map((reject) => reject.custom_id),
        ['hot', 'streamed'],
      );
    } finally {
      await temp.remove();
    }
  });
});
