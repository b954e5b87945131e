import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkResultFiles } from '../helpers/check-result-files.ts';
import { type CliResult, cliError, describeResult, runCli } from '../helpers/run-cli.ts';
import { type SimulatorHandle, startSimulator } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';

/**
 * A full disk, for real: a small tmpfs (mounting needs root, as CI runs; skipped otherwise) holds the workspace or
 * the result folder. The run ends with `DISK_FULL` (its own exit code, no stack), nothing committed is lost, and once
 * the tmpfs is grown `resume` finishes the job with every item exactly once.
 */

const ITEMS = 3000;

function tryMount(folder: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', folder], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function assertDiskFull(result: CliResult, file: string): void {
  assert.equal(result.code, 75, describeResult(result));
  assert.equal(cliError(result)?.code, 'DISK_FULL', describeResult(result));
  assert.equal(cliError(result)?.context?.['file'], file, describeResult(result));
  assert.doesNotMatch(result.stderr, /internal error|\n\s+at /, describeResult(result));
}

describe('disk full', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;
  let input: string;
  const mounts: string[] = [];

  before(async () => {
    temp = await createTempWorkspace();
    input = await temp.write('input.jsonl', toJsonl(chatBatchLines(ITEMS)));
    sim = await startSimulator({ latencyMs: 1 });
  });

  after(async () => {
    for (const folder of mounts) execFileSync('umount', ['-l', folder]);
    await sim.close();
    await temp.remove();
  });

  async function smallDisk(name: string, size: string): Promise<string | undefined> {
    const folder = join(temp.dir, name);
    await mkdir(folder);
    if (!tryMount(folder, size)) return undefined;
    mounts.push(folder);
    return folder;
  }

  async function resumeOnceThereIsRoom(disk: string, workspace: string, jobDir: string): Promise<void> {
    execFileSync('mount', ['-o', 'remount,size=64m', disk]);
    const answeredBefore = sim.stats().answered200;
    const resumed = await runCli(['--workspace', workspace, '--json', 'resume', 'j', '--no-progress'], {
      cwd: temp.dir,
    });
    assert.equal(resumed.code, 0, describeResult(resumed));
    const files = await checkResultFiles({ inputPath: input, jobDir });
    assert.equal(files.succeeded.length, ITEMS);
    assert.ok(sim.stats().answered200 - answeredBefore < ITEMS, 'resume sent only what was not committed');
    assert.deepEqual(
      (await readdir(jobDir)).filter((name) => name.endsWith('.tmp')),
      [],
      'no temp file left',
    );
  }

  it('in the store: DISK_FULL naming state.db, then resume finishes the job', async (t) => {
    const disk = await smallDisk('store-disk', '1m');
    if (disk === undefined) return t.skip('cannot mount a tmpfs here (needs root)');
    const workspace = join(disk, 'ws');
    const result = await runCli(
      ['--workspace', workspace, '--json', 'run', input, '--job', 'j', '--base-url', sim.baseUrl, '--no-progress'],
      { cwd: temp.dir },
    );
    assertDiskFull(result, join(workspace, 'state.db'));
    await resumeOnceThereIsRoom(disk, workspace, join(workspace, 'jobs', 'j'));
  });

  it('in the result files: DISK_FULL naming the file, then resume writes them', async (t) => {
    const disk = await smallDisk('out-disk', '200k');
    if (disk === undefined) return t.skip('cannot mount a tmpfs here (needs root)');
    const workspace = join(temp.dir, 'ws-out');
    const out = join(disk, 'out');
    const result = await runCli(
      ['--workspace', workspace, '--json', 'run', input, '--job', 'j', '--base-url', sim.baseUrl, '--out', out],
      { cwd: temp.dir },
    );
    assertDiskFull(result, join(out, 'output.jsonl'));
    await resumeOnceThereIsRoom(disk, workspace, out);
  });
});

describe('damaged store', () => {
  let temp: TempWorkspace;

  before(async () => {
    temp = await createTempWorkspace();
  });

  after(async () => {
    await temp.remove();
  });

  for (const [name, content] of [
    ['an empty state.db', ''],
    ['a state.db that is not a database', 'this is not a database file, it was overwritten by something else\n'],
  ] as const) {
    it(`${name} beside job folders is refused with STORE_CORRUPT, never re-initialised`, async () => {
      const workspace = join(temp.dir, name.replace(/\W+/g, '-'));
      await mkdir(join(workspace, 'jobs', 'earlier-job'), { recursive: true });
      await writeFile(join(workspace, 'state.db'), content);
      for (const command of [['status'], ['resume', 'earlier-job']]) {
        const result = await runCli(['--workspace', workspace, '--json', ...command], { cwd: temp.dir });
        assert.equal(result.code, 74, describeResult(result));
        assert.equal(cliError(result)?.code, 'STORE_CORRUPT', describeResult(result));
        assert.doesNotMatch(result.stderr, /internal error|\n\s+at /, describeResult(result));
      }
      assert.equal((await stat(join(workspace, 'state.db'))).size, Buffer.byteLength(content), 'store left as found');
    });
  }
});
