import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliError, describeResult, runCli, type CliResult } from '../helpers/run-cli.ts';
import { startPostgres, type PostgresHandle } from '../helpers/start-postgres.ts';
import { startSimulator, type SimulatorHandle } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, toJsonl, type TempWorkspace } from '../helpers/temp-workspace.ts';

/**
 * Issue 14, `collect JOB --store postgres://...` (docs/decisions/0033): a job kept in PostgreSQL is collected from
 * another folder with no workspace (as on another machine): its result files byte for byte as its run wrote them; a
 * data job's join-back, whose job folder is not there, is refused with the file and the fix, the plain files
 * written all the same; where the job folder is, the dataset too.
 */

const ITEMS = 30;
const ROWS = 10;
const PLAIN_FILES = ['output.jsonl', 'errors.jsonl', 'missing_records.jsonl', 'rejects.jsonl'] as const;

async function assertSameFiles(ran: string, collected: string, names: readonly string[]): Promise<void> {
  for (const name of names) {
    const [expected, actual] = await Promise.all([readFile(join(ran, name)), readFile(join(collected, name))]);
    assert.ok(expected.equals(actual), `${name} differs between ${ran} and ${collected}`);
  }
}

async function reportWithoutFiles(dir: string): Promise<Record<string, unknown>> {
  const { files: _files, ...rest } = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  return rest;
}

describe('collect JOB with a PostgreSQL store', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;
  let postgres: PostgresHandle;
  let url: string;

  const cli = (args: readonly string[], workspace = temp.workspace): Promise<CliResult> =>
    runCli(['--workspace', workspace, '--store', url, ...args], { cwd: temp.dir });

  before(async () => {
    temp = await createTempWorkspace('batchpilot-collect-pg-');
    [sim, postgres] = await Promise.all([
      startSimulator({ latencyMs: 2, seed: 35, failureRates: { http500: 0.2 } }),
      startPostgres(),
    ]);
    url = await postgres.createDatabase('collect');
    await temp.write('input.jsonl', toJsonl([...chatBatchLines(ITEMS), 'not a request']));
    await temp.write(
      'posts.jsonl',
      toJsonl(
        Array.from({ length: ROWS }, (_, index) =>
          JSON.stringify({ id: `p${String(index)}`, text: `t${String(index)}` }),
        ),
      ),
    );
    await temp.write(
      'prompts.yaml',
      [
        'defaults: { model: gpt-4o-mini }',
        'prompts:',
        '  summary:',
        '    text: "Sum: {{ text }}"',
        '    output: { format: text }',
      ].join('\n'),
    );
  });

  after(async () => {
    await sim.close();
    await postgres.stop();
    await temp.remove();
  });

  it('collects a request job and a data job from a folder with no workspace, byte for byte', async () => {
    const common = ['--base-url', sim.baseUrl, '--no-progress', '--set', 'retry.max_attempts=1'];
    const plain = await cli(['run', 'input.jsonl', '--job', 'pg-plain', '--limit', '27', ...common]);
    assert.equal(plain.code, 3, describeResult(plain));
    const data = await cli([
      'run',
      'posts.jsonl',
      '--job',
      'pg-data',
      '--prompts',
      'prompts.yaml',
      '--set',
      'data.key=id',
      ...common,
    ]);
    assert.ok(data.code === 0 || data.code === 3, describeResult(data));

    // Another "machine": no workspace folder; the files go to --out.
    const nowhere = temp.path('other-machine');
    const out = temp.path('plain-out');
    const collected = await cli(['collect', 'pg-plain', '--out', out], nowhere);
    assert.equal(collected.code, 0, describeResult(collected));
    await assertSameFiles(temp.jobDir('pg-plain'), out, [...PLAIN_FILES]);
    assert.deepEqual(await reportWithoutFiles(out), await reportWithoutFiles(temp.jobDir('pg-plain')));

    // A data job there: the plain files are written, the join-back is refused naming the job folder's files.
    const dataOut = temp.path('data-out');
    const partial = await cli(['--json', 'collect', 'pg-data', '--out', dataOut], nowhere);
    assert.equal(partial.code, 2, describeResult(partial));
    const error = cliError(partial);
    assert.equal(error?.code, 'INPUT_UNREADABLE');
    assert.match(error?.message ?? '', /other-machine\/jobs\/pg-data\/prompts\.json/);
    assert.match(error?.message ?? '', /run "batchpilot collect pg-data" where the job folder and data file are/);
    await assertSameFiles(temp.jobDir('pg-data'), dataOut, [...PLAIN_FILES]);

    // Where the job folder is, the dataset and its report too.
    const withFolder = temp.path('data-out-2');
    const whole = await cli(['collect', 'pg-data', '--out', withFolder]);
    assert.equal(whole.code, 0, describeResult(whole));
    await assertSameFiles(temp.jobDir('pg-data'), withFolder, [...PLAIN_FILES, 'enriched.jsonl']);
    assert.deepEqual(await reportWithoutFiles(withFolder), await reportWithoutFiles(temp.jobDir('pg-data')));

    const unknown = await cli(['--json', 'collect', 'pg-nope'], nowhere);
    assert.equal(cliError(unknown)?.code, 'JOB_NOT_FOUND', describeResult(unknown));
  });
});
