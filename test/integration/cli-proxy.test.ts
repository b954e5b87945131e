import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { describeResult, killRunningClis, runCli, runOutput } from '../helpers/run-cli.ts';
import { type ForwardProxy, startForwardProxy } from '../helpers/start-forward-proxy.ts';
import { type SimulatorHandle, startSimulator } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';

/**
 * Issue 10 section 6, "networking": `HTTP_PROXY` / `NO_PROXY` are honoured by every path that talks to the endpoint:
 * realtime requests, the batch APIs (through the SDK) and `plan`'s model check. A real forward proxy on 127.0.0.1
 * counts what it forwards to the simulator.
 */

let temp: TempWorkspace;
let sim: SimulatorHandle;
let proxy: ForwardProxy;
let input: string;

before(async () => {
  temp = await createTempWorkspace('batchpilot-proxy-');
  sim = await startSimulator({ latencyMs: 1, seed: 4, batchLifetimeMs: 200 });
  proxy = await startForwardProxy();
  input = await temp.write('in.jsonl', toJsonl(chatBatchLines(12)));
});

after(async () => {
  await killRunningClis();
  await proxy.close();
  await sim.close();
  await temp.remove();
});

const forwarded = (): number => proxy.forwarded.get(new URL(sim.baseUrl).origin) ?? 0;

async function cli(args: string[], env: Record<string, string | undefined>): Promise<ReturnType<typeof runCli>> {
  return runCli(['--workspace', temp.workspace, '--json', ...args, '--base-url', sim.baseUrl], {
    cwd: temp.dir,
    env: { OPENAI_API_KEY: undefined, ...env },
  });
}

describe('HTTP proxy from the environment', () => {
  it('realtime requests go through HTTP_PROXY', async () => {
    const before = forwarded();
    const result = await cli(['run', input, '--job', 'realtime', '--no-progress'], { HTTP_PROXY: proxy.url });
    assert.equal(result.code, 0, describeResult(result));
    assert.equal(runOutput(result)?.report.counts['succeeded'], 12);
    assert.ok(forwarded() - before >= 12, `${String(forwarded() - before)} requests through the proxy`);
  });

  it('NO_PROXY naming the endpoint sends straight to it', async () => {
    const before = forwarded();
    const result = await cli(['run', input, '--job', 'direct', '--no-progress'], {
      http_proxy: proxy.url,
      NO_PROXY: '127.0.0.1',
    });
    assert.equal(result.code, 0, describeResult(result));
    assert.equal(forwarded(), before, 'nothing went through the proxy');
  });

  it('batch mode (files and batches through the SDK) and plan go through it too', async () => {
    const beforeBatch = forwarded();
    const batch = await cli(
      ['run', input, '--job', 'batch', '--no-progress', '--set', 'mode=batch', '--set', 'poll_interval_s=0.1'],
      { HTTP_PROXY: proxy.url },
    );
    assert.equal(batch.code, 0, describeResult(batch));
    assert.ok(sim.stats().batch.uploads >= 1, JSON.stringify(sim.stats().batch));
    // At least an upload, a create, a poll and a download.
    assert.ok(forwarded() - beforeBatch >= 4, `${String(forwarded() - beforeBatch)} batch API calls through the proxy`);

    const beforePlan = forwarded();
    const plan = await cli(['plan', input], { HTTP_PROXY: proxy.url });
    assert.equal(plan.code, 0, describeResult(plan));
    assert.ok(forwarded() > beforePlan, 'the model check went through the proxy');
  });
});
