import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkResultFiles } from '../helpers/check-result-files.ts';
import { describeResult, killRunningClis, runCli, startCli, waitFor } from '../helpers/run-cli.ts';
import { type SimulatorHandle, startSimulator } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';

/**
 * What `status` says resume will send is what resume sends. A run reads its input only a window ahead of the
 * requests, so a kill -9 mid-run leaves lines never read: resume reads and sends them besides the unfinished items
 * (seen: status showed 879 unfinished, resume sent 1,093). No faults here, so every item is sent exactly once.
 */

const ITEMS = 4000;

interface StatusJson {
  state: string;
  counts: { pending: number; retry_wait: number };
  input_fully_read: boolean;
  unread_lines: number | null;
  to_send: number | null;
}

describe('what resume sends', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;
  let input: string;

  before(async () => {
    temp = await createTempWorkspace();
    // A blank line near the end, likely unread at the kill: resume rejects it, and status does not count it.
    const lines = chatBatchLines(ITEMS);
    lines.splice(ITEMS - 3, 0, '   ');
    input = await temp.write('input.jsonl', toJsonl(lines));
    sim = await startSimulator({ latencyMs: 30, jitterMs: 10 });
  });

  after(async () => {
    await killRunningClis();
    await sim.close();
    await temp.remove();
  });

  it('after a kill -9 with many requests in flight, status counts every request resume will send', async () => {
    const run = startCli(
      ['--workspace', temp.workspace, 'run', input, '--job', 'j', '--base-url', sim.baseUrl, '--concurrency', '64'],
      { cwd: temp.dir },
    );
    await waitFor(() => sim.stats().generationRequests > 1000, 'a thousand requests');
    run.child.kill('SIGKILL');
    const killed = await run.done;
    assert.equal(killed.signal, 'SIGKILL', describeResult(killed));

    const shown = await runCli(['--workspace', temp.workspace, '--json', 'status', 'j'], { cwd: temp.dir });
    const status = JSON.parse(shown.stdout) as StatusJson;
    assert.equal(status.state, 'interrupted', shown.stdout);
    assert.equal(status.input_fully_read, false, 'the kill came after the whole file was read; nothing to test');
    const unfinished = status.counts.pending + status.counts.retry_wait;
    assert.equal(status.to_send, unfinished + (status.unread_lines ?? -1), shown.stdout);

    const before = sim.stats().generationRequests;
    const resumed = await runCli(['--workspace', temp.workspace, '--json', 'resume', 'j', '--no-progress'], {
      cwd: temp.dir,
    });
    assert.equal(resumed.code, 0, describeResult(resumed));
    assert.equal(sim.stats().generationRequests - before, status.to_send, `status said: ${shown.stdout}`);
    const files = await checkResultFiles({ inputPath: input, jobDir: temp.jobDir('j') });
    assert.equal(files.succeeded.length, ITEMS);
  });

  it('after Ctrl-C (unfinished items recorded as missing), status counts what resume will send', async () => {
    const run = startCli(
      ['--workspace', temp.workspace, 'run', input, '--job', 'i', '--base-url', sim.baseUrl, '--concurrency', '64'],
      { cwd: temp.dir },
    );
    const before = sim.stats().generationRequests;
    await waitFor(() => sim.stats().generationRequests > before + 1000, 'a thousand requests');
    run.child.kill('SIGINT');
    const stopped = await run.done;
    assert.equal(stopped.code, 130, describeResult(stopped));

    const shown = await runCli(['--workspace', temp.workspace, '--json', 'status', 'i'], { cwd: temp.dir });
    const status = JSON.parse(shown.stdout) as StatusJson;
    assert.equal(status.state, 'interrupted', shown.stdout);
    const sentBefore = sim.stats().generationRequests;
    const resumed = await runCli(['--workspace', temp.workspace, '--json', 'resume', 'i', '--no-progress'], {
      cwd: temp.dir,
    });
    assert.equal(resumed.code, 0, describeResult(resumed));
    assert.ok((status.to_send ?? 0) > 0, shown.stdout);
    assert.equal(sim.stats().generationRequests - sentBefore, status.to_send, `status said: ${shown.stdout}`);
    await checkResultFiles({ inputPath: input, jobDir: temp.jobDir('i') });
  });
});
