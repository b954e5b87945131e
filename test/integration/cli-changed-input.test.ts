import assert from 'node:assert/strict';
import { open, readFile, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { fingerprintSampleRanges } from '../../src/input/fingerprint-input.ts';
import { checkResultFiles } from '../helpers/check-result-files.ts';
import { cliError, describeResult, killRunningClis, runCli, startCli, waitFor } from '../helpers/run-cli.ts';
import { type SimulatorHandle, startSimulator } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';

/**
 * A changed input is refused on resume whatever the edit (docs/decisions/0010): a same-size edit outside every
 * sampled block (caught by the mtime, then the whole-content hash), an edited pending line whose mtime was put back
 * (caught by its line hash before it is sent), while an untouched file whose mtime moved still resumes.
 */

/** Byte offset of the first digit of `question N` on line `lineNo` (1-based); the lines are ASCII. */
function digitOffset(text: string, lineNo: number): number {
  let offset = 0;
  for (let line = 1; line < lineNo; line++) offset = text.indexOf('\n', offset) + 1;
  return text.indexOf('question ', offset) + 'question '.length;
}

/** Changes the first digit of `question N` on line `lineNo` in place (same size, still JSON); returns how to undo it. */
async function editLine(path: string, lineNo: number): Promise<{ offset: number; undo: () => Promise<void> }> {
  const text = await readFile(path, 'utf8');
  const offset = digitOffset(text, lineNo);
  const original = text.charAt(offset);
  await writeAt(path, offset, original === '9' ? '8' : '9');
  return { offset, undo: () => writeAt(path, offset, original) };
}

async function writeAt(path: string, offset: number, char: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.write(Buffer.from(char), 0, 1, offset);
  } finally {
    await handle.close();
  }
}

describe('changed input on resume', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;

  before(async () => {
    temp = await createTempWorkspace();
    sim = await startSimulator({ latencyMs: 200 });
  });

  after(async () => {
    await killRunningClis();
    await sim.close();
    await temp.remove();
  });

  const cli = (args: string[]) =>
    runCli(['--workspace', temp.workspace, '--json', ...args, '--no-progress'], { cwd: temp.dir });

  it('refuses a same-size edit outside every sampled block', async () => {
    // Over 256 KB, so the fingerprint samples blocks instead of hashing the whole file.
    const input = await temp.write('big.jsonl', toJsonl(chatBatchLines(2000, { prefix: 'big' })));
    const done = await runCli(
      [
        '--workspace',
        temp.workspace,
        '--json',
        'run',
        input,
        '--job',
        'big',
        '--base-url',
        sim.baseUrl,
        '--concurrency',
        '256',
        '--no-progress',
      ],
      { cwd: temp.dir, env: { BATCHPILOT_CRASH_AT: 'before-result-files-commit' } },
    );
    assert.equal(done.signal, 'SIGKILL', describeResult(done));
    const size = (await stat(input)).size;
    const ranges = fingerprintSampleRanges(size);
    assert.ok(ranges.length > 1, 'the file must be sampled, not hashed whole');
    // A line whose edited digit lies outside every sampled range.
    const text = await readFile(input, 'utf8');
    let lineNo = 1000;
    while (!ranges.every(([start, end]) => digitOffset(text, lineNo) < start || digitOffset(text, lineNo) >= end)) {
      lineNo += 1;
    }
    const edited = (await editLine(input, lineNo)).offset;
    assert.equal((await stat(input)).size, size);
    const resumed = await cli(['resume', 'big']);
    assert.equal(resumed.code, 2, `edited byte ${String(edited)} (line ${String(lineNo)})\n${describeResult(resumed)}`);
    assert.equal(cliError(resumed)?.code, 'INPUT_CHANGED', describeResult(resumed));
  });

  it('refuses an edited pending line even with its mtime put back, before sending it', async () => {
    const input = await temp.write('pending.jsonl', toJsonl(chatBatchLines(2000, { prefix: 'pending' })));
    const run = startCli(
      ['--workspace', temp.workspace, 'run', input, '--job', 'p', '--base-url', sim.baseUrl, '--concurrency', '64'],
      { cwd: temp.dir },
    );
    const before = sim.stats().generationRequests;
    // Past the sampled first 64 KB (about 260 lines), so the sample cannot see the edit.
    await waitFor(() => sim.stats().generationRequests > before + 400, '400 requests');
    run.child.kill('SIGKILL');
    await run.done;
    const ranges = fingerprintSampleRanges((await stat(input)).size);
    const db = new Database(join(temp.workspace, 'state.db'), { readonly: true });
    const pending = db
      .prepare("SELECT line_no FROM items WHERE job_id = 'p' AND state = 'pending' ORDER BY seq")
      .all() as { line_no: number }[];
    db.close();
    const text = await readFile(input, 'utf8');
    const target = pending.find(({ line_no }) => {
      const digit = digitOffset(text, line_no);
      return ranges.every(([start, end]) => digit < start || digit >= end);
    });
    assert.ok(target !== undefined, `no pending line outside the samples: ${JSON.stringify(pending)}`);
    const { atime, mtime } = await stat(input);
    const edit = await editLine(input, target.line_no);
    await utimes(input, atime, mtime);
    const sent = sim.stats().generationRequests;
    const resumed = await cli(['resume', 'p']);
    assert.equal(resumed.code, 2, describeResult(resumed));
    assert.equal(cliError(resumed)?.code, 'INPUT_CHANGED', describeResult(resumed));
    assert.equal(cliError(resumed)?.context?.['line'], target.line_no, describeResult(resumed));
    assert.equal(sim.stats().generationRequests, sent, 'nothing was sent');

    // Put back as it was, now with a new mtime: resume checks every line read so far against its hash, and carries on.
    await edit.undo();
    const restored = await cli(['resume', 'p', '--concurrency', '256']);
    assert.equal(restored.code, 0, describeResult(restored));
    await checkResultFiles({ inputPath: input, jobDir: temp.jobDir('p') });
  });

  it('resumes a file whose mtime moved but whose content is the same (whole-content hash)', async () => {
    const input = await temp.write('touched.jsonl', toJsonl(chatBatchLines(30, { prefix: 'touched' })));
    const done = await cli(['run', input, '--job', 't', '--base-url', sim.baseUrl, '--concurrency', '32']);
    assert.equal(done.code, 0, describeResult(done));
    await utimes(input, new Date(), new Date(Date.now() + 5000));
    const resumed = await cli(['resume', 't']);
    assert.equal(resumed.code, 0, describeResult(resumed));
    await editLine(input, 1);
    const refused = await cli(['resume', 't']);
    assert.equal(cliError(refused)?.code, 'INPUT_CHANGED', describeResult(refused));
  });
});
