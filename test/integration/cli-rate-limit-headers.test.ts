import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkResultFiles } from '../helpers/check-result-files.ts';
import { describeResult, runCli } from '../helpers/run-cli.ts';
import { chatBatchLines, toJsonl } from '../helpers/temp-workspace.ts';
import { useCliWorkspace } from '../helpers/use-cli-workspace.ts';
import { runArgs } from '../helpers/run-args.ts';

/**
 * Issue 10 section 1: the `x-ratelimit-*` headers a server sends slow the pool down before
 * its limit answers 429. Against a simulator enforcing 600 rpm (10 requests/s, one second of
 * burst) and sending the headers, a job paced by them meets no 429 at all; one that learns
 * only from 429s meets some first.
 */

const ITEMS = 40;

describe('rate-limit headers', () => {
  const ws = useCliWorkspace({ prefix: 'batchpilot-cli-', simulator: { rpm: 600, rateLimitHeaders: true } });

  it('pace the pool so that no request is answered 429', async () => {
    const input = await ws.temp.write('paced.jsonl', toJsonl(chatBatchLines(ITEMS, { prefix: 'paced' })));
    const result = await runCli(
      runArgs(ws.temp, input, { job: 'paced', baseUrl: ws.sim.baseUrl }, ['--concurrency', '4', '--no-progress']),
      { cwd: ws.temp.dir },
    );
    const stats = ws.sim.stats();
    const context = `simulator ${JSON.stringify({ byStatus: stats.byStatus, faults: stats.faults })}; ${describeResult(result)}`;
    assert.equal(result.code, 0, context);
    const files = await checkResultFiles({ inputPath: input, jobDir: ws.temp.jobDir('paced') });
    assert.equal(files.succeeded.length, ITEMS, context);
    assert.equal(stats.faults.rateLimited, 0, context);
  });
});
