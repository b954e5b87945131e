import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeResult, killRunningClis, runCli } from '../helpers/run-cli.ts';
import { startHttpServer, withJsonBody, type HttpServerHandle } from '../helpers/start-http-server.ts';
import { startSimulator, type SimulatorHandle } from '../helpers/start-simulator.ts';
import { createTempWorkspace, type TempWorkspace } from '../helpers/temp-workspace.ts';

/**
 * Issue 13 §2: "a sink that stays down pauses the job (bounded, then interrupted with a message), it never drops
 * rows". A webhook sink on a real local server refuses (503) for a while: the realtime run holds its sending until the
 * sink takes its batch again; a sink down past `max_wait_s` stops the job, interrupted, and `resume` once it is back
 * delivers every valid row once.
 */

const ROWS = 3000;
const CONCURRENCY = 4;
const EVERY = 50;

const PROMPTS = ['prompts:', '  echo:', '    text: "Say something about {{ text }}"'].join('\n');

interface Received {
  batchNo: number;
  ids: string[];
}

/** The webhook: records every batch it took, and refuses (503) while `down` says so. */
class Webhook {
  received: Received[] = [];
  refusals = 0;
  /** Model requests the simulator had got when the sink first refused, and when it took a batch again. */
  requestsAtFirstRefusal: number | undefined;
  requestsAtRecovery: number | undefined;
  down: (batchNo: number) => boolean = () => false;
  private readonly sim: () => number;

  constructor(sim: () => number) {
    this.sim = sim;
  }

  handle = withJsonBody((body: { batch_no: number; rows: { id: string }[] }, response: ServerResponse): void => {
    if (this.down(body.batch_no)) {
      this.refusals += 1;
      this.requestsAtFirstRefusal ??= this.sim();
      response.writeHead(503).end('busy');
      return;
    }
    if (this.refusals > 0) this.requestsAtRecovery ??= this.sim();
    this.received.push({ batchNo: body.batch_no, ids: body.rows.map((row) => row.id) });
    response.writeHead(200).end('{}');
  });

  /** Each row once: batches written again after a crash or a retry are the same batch, counted once. */
  uniqueIds(): string[] {
    const byBatch = new Map<number, string[]>();
    for (const batch of this.received) byBatch.set(batch.batchNo, batch.ids);
    return [...byBatch.values()].flat();
  }
}

describe('a sink that is down holds the run, then stops it', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;
  let server: HttpServerHandle;
  let webhook: Webhook;

  before(async () => {
    temp = await createTempWorkspace('batchpilot-sink-outage-');
    const rows = Array.from({ length: ROWS }, (_, index) =>
      JSON.stringify({ id: `r${String(index).padStart(5, '0')}`, text: `row ${String(index)}` }),
    );
    await temp.write('rows.jsonl', `${rows.join('\n')}\n`);
    await temp.write('prompts.yaml', PROMPTS);
    sim = await startSimulator({ seed: 7, latencyMs: 2 });
    webhook = new Webhook(() => sim.stats().requests);
    server = await startHttpServer(webhook.handle);
  });

  after(async () => {
    await killRunningClis();
    await server.close();
    await sim.close();
    await temp.remove();
  });

  const args = (job: string): string[] => [
    '--workspace',
    temp.workspace,
    'run',
    'rows.jsonl',
    '--prompts',
    'prompts.yaml',
    '--config',
    `${job}.yaml`,
    '--job',
    job,
    '--base-url',
    sim.baseUrl,
    '--no-progress',
    '--concurrency',
    String(CONCURRENCY),
  ];

  const writeConfig = (job: string, maxWaitS: number): Promise<string> =>
    temp.write(
      `${job}.yaml`,
      [
        'data: { key: id }',
        'sinks:',
        `  - { type: http, url: "${server.origin}/${job}", every: ${String(EVERY)}, max_wait_s: ${String(maxWaitS)} }`,
      ].join('\n'),
    );

  it('holds sending while the sink refuses, and delivers every row once when it is back', async () => {
    await writeConfig('held', 60);
    webhook.received = [];
    // The third batch is refused for 2 s from its first refusal.
    let downUntil: number | undefined;
    webhook.down = (batchNo) => {
      if (batchNo !== 3) return false;
      downUntil ??= Date.now() + 2000;
      return Date.now() < downUntil;
    };
    const result = await runCli(args('held'), { cwd: temp.dir, timeoutMs: 50_000 });
    assert.equal(result.code, 0, describeResult(result));
    assert.ok(webhook.refusals > 0, 'the sink refused at least once');
    const atRefusal = webhook.requestsAtFirstRefusal ?? 0;
    const atRecovery = webhook.requestsAtRecovery ?? 0;
    // While held, no request starts: only the ones already out end (a retry or two of the sink at most between).
    assert.ok(
      atRecovery - atRefusal <= CONCURRENCY * 2,
      `requests sent while the sink was down: ${String(atRecovery - atRefusal)} (from ${String(atRefusal)})`,
    );
    const ids = webhook.uniqueIds();
    assert.equal(ids.length, ROWS);
    assert.equal(new Set(ids).size, ROWS);
  });

  it('stops the job, interrupted, once the sink has been down past max_wait_s; resume delivers the rest once', async () => {
    await writeConfig('stopped', 1);
    webhook.received = [];
    webhook.refusals = 0;
    sim.resetStats();
    webhook.down = (batchNo) => batchNo >= 4;
    const first = await runCli(args('stopped'), { cwd: temp.dir, timeoutMs: 50_000 });
    assert.equal(first.code, 2, describeResult(first));
    assert.match(first.stderr, /SINK_UNAVAILABLE|unavailable/);
    assert.match(first.stderr, /batchpilot resume stopped/);
    assert.doesNotMatch(first.stderr, /\n\s+at /, 'no stack trace');
    const status = await runCli(['--workspace', temp.workspace, 'status', 'stopped', '--json'], { cwd: temp.dir });
    assert.equal((JSON.parse(status.stdout) as { state: string }).state, 'interrupted', status.stdout);
    assert.ok(sim.stats().requests < ROWS + 10, 'the run stopped before sending everything');

    webhook.down = () => false;
    const resumed = await runCli(['--workspace', temp.workspace, 'resume', 'stopped', '--no-progress'], {
      cwd: temp.dir,
      timeoutMs: 50_000,
    });
    assert.equal(resumed.code, 0, describeResult(resumed));
    const ids = webhook.uniqueIds();
    assert.equal(ids.length, ROWS);
    assert.equal(new Set(ids).size, ROWS);
    const enriched = await readFile(join(temp.jobDir('stopped'), 'enriched.jsonl'), 'utf8');
    assert.equal(enriched.split('\n').filter((line) => line !== '').length, ROWS);
  });
});
