import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkResultFiles, readJsonl, type RejectLine } from '../helpers/check-result-files.ts';
import { type CliResult, cliError, describeResult, runCli } from '../helpers/run-cli.ts';
import { type SimulatorHandle, startSimulator } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';

/**
 * SPEC sections 3 and 4: bad config and unusable input stop the run with exit 2 and a message naming the key, file or
 * line, before a single request is sent; a file with some bad lines runs, its bad lines in rejects.jsonl.
 */

describe('bad config and bad input', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;
  let input: string;

  before(async () => {
    temp = await createTempWorkspace();
    input = await temp.write('input.jsonl', toJsonl(chatBatchLines(20)));
    sim = await startSimulator({});
  });

  after(async () => {
    await sim.close();
    await temp.remove();
  });

  /** Runs `run` in a fresh folder holding `config` as batchpilot.yaml. */
  async function runIn(name: string, config: string | undefined, args: string[]): Promise<CliResult> {
    const cwd = join(temp.dir, name);
    await mkdir(cwd);
    if (config !== undefined) await writeFile(join(cwd, 'batchpilot.yaml'), config);
    return runCli(['--workspace', join(cwd, 'ws'), '--json', 'run', ...args, '--no-progress'], { cwd });
  }

  function assertRefused(result: CliResult, code: string, named: string): void {
    assert.equal(result.code, 2, describeResult(result));
    const error = cliError(result);
    assert.equal(error?.code, code, describeResult(result));
    assert.ok(error.message.includes(named), `the message should name ${named}: ${error.message}`);
    assert.equal(sim.stats().generationRequests, 0, 'a request was sent');
  }

  const configCases = [
    { name: 'typo', config: 'concurency: 4\n', named: 'concurency' },
    { name: 'string-temperature', config: 'request: {temperature: "0.6"}\n', named: 'temperature' },
    { name: 'negative-concurrency', config: 'concurrency: -1\n', named: 'concurrency' },
  ];
  for (const { name, config, named } of configCases) {
    it(`refuses batchpilot.yaml with ${name}, naming the key`, async () => {
      const result = await runIn(name, config, [input, '--job', 'j', '--base-url', sim.baseUrl]);
      assertRefused(result, 'CONFIG_INVALID', named);
    });
  }

  it('refuses to run without a base_url', async () => {
    const result = await runIn('no-base-url', undefined, [input, '--job', 'j']);
    assertRefused(result, 'CONFIG_INVALID', 'base_url');
  });

  it('refuses a missing input file, naming it', async () => {
    const result = await runIn('no-input', undefined, [temp.path('nope.jsonl'), '--base-url', sim.baseUrl]);
    assertRefused(result, 'INPUT_UNREADABLE', 'nope.jsonl');
  });

  it('refuses a file with no valid line, with every line in rejects.jsonl', async () => {
    const bad = await temp.write(
      'all-bad.jsonl',
      toJsonl(['not json', '[1, 2]', '{"custom_id": "x", "url": "/v1/chat/completions"}', '{"foo": 1}']),
    );
    const result = await runIn('all-bad', undefined, [bad, '--job', 'allbad', '--base-url', sim.baseUrl]);
    assertRefused(result, 'INPUT_EMPTY', 'all-bad.jsonl');
    const rejects = await readJsonl<RejectLine>(join(temp.dir, 'all-bad', 'ws', 'jobs', 'allbad', 'rejects.jsonl'));
    assert.deepEqual(
      rejects.map((reject) => reject.line),
      [1, 2, 3, 4],
    );
    for (const reject of rejects) assert.ok(reject.reason.length > 0);
  });

  it('runs a file with some bad lines: they go to rejects.jsonl with line and reason, exit 0', async () => {
    const good = chatBatchLines(30, { prefix: 'mixed' });
    const lines = [...good];
    // Line numbers are 1-based; each bad line is inserted at its final position.
    const bad: [number, string][] = [
      [1, '{"custom_id": "broken", '],
      [5, '{"custom_id": "no-body", "url": "/v1/chat/completions"}'],
      [9, JSON.stringify({ custom_id: 'bad-url', url: '/v1/images', body: { model: 'm' } })],
      [12, JSON.stringify({ custom_id: 'get', method: 'GET', url: '/v1/chat/completions', body: { model: 'm' } })],
      [20, good[3]!], // a duplicate custom_id
      [25, '"just a string"'],
      [
        30,
        JSON.stringify({
          custom_id: 'huge',
          url: '/v1/chat/completions',
          body: { model: 'm', messages: [{ role: 'user', content: 'x'.repeat(2000) }] },
        }),
      ],
    ];
    for (const [lineNo, text] of bad) lines.splice(lineNo - 1, 0, text);
    const mixed = await temp.write('mixed.jsonl', toJsonl(lines));

    const cwd = join(temp.dir, 'mixed');
    await mkdir(cwd);
    const result = await runCli(
      [
        '--workspace',
        join(cwd, 'ws'),
        '--json',
        'run',
        mixed,
        '--job',
        'mixed',
        '--base-url',
        sim.baseUrl,
        '--set',
        'input.max_line_bytes=1024',
        '--no-progress',
      ],
      { cwd },
    );
    assert.equal(result.code, 0, describeResult(result));

    const files = await checkResultFiles({ inputPath: mixed, jobDir: join(cwd, 'ws', 'jobs', 'mixed') });
    assert.deepEqual(
      files.rejects.map((reject) => reject.line),
      bad.map(([lineNo]) => lineNo),
    );
    for (const reject of files.rejects) assert.equal(typeof reject.raw, 'string');
    assert.equal(files.rejects.find((reject) => reject.line === 20)?.custom_id, 'mixed-3', 'the duplicate');
    assert.ok(files.rejects.find((reject) => reject.line === 30)?.reason.includes('max_line_bytes'));
    assert.equal(files.succeeded.length, good.length);
    assert.equal(files.report.counts.rejected, bad.length);
    assert.equal(sim.stats().generationRequests, good.length);
  });
});
