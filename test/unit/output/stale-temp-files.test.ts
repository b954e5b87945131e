import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { writeFileAtomically } from '../../../src/output/atomic-write.ts';
import { removeStaleTempFiles } from '../../../src/output/remove-stale-temp-files.ts';

/** A pid that was alive a moment ago and is not any more. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('temp files left by a killed writer', () => {
  let folder = '';
  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'batchpilot-temp-'));
  });
  after(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('are removed by the next write of the same file; other files and live writers are left alone', async () => {
    const dead = deadPid();
    const target = join(folder, 'output.jsonl');
    const names = {
      dead: `.output.jsonl.${String(dead)}.tmp`,
      // The parent of this test started before now: a file written now may be its own.
      liveWriter: `.output.jsonl.${String(process.ppid)}.tmp`,
      otherFile: `.errors.jsonl.${String(dead)}.tmp`,
      notOurPattern: `.output.jsonl.x${String(dead)}.tmp`,
    };
    for (const name of Object.values(names)) await writeFile(join(folder, name), 'half a file');
    await writeFileAtomically(target, 'whole\n');
    const left = new Set(await readdir(folder));
    assert.ok(!left.has(names.dead), 'the dead writer left its temp file');
    for (const name of [names.liveWriter, names.otherFile, names.notOurPattern, 'output.jsonl']) {
      assert.ok(left.has(name), `${name} should stay; left: ${[...left].join(', ')}`);
    }
  });

  it('treats a live pid that started after the file was written as reused, so the file as stale', async () => {
    const target = join(folder, 'report.json');
    const reused = join(folder, `.report.json.${String(process.pid + 1)}.tmp`);
    await writeFile(reused, 'half');
    await utimes(reused, new Date(2020, 0, 1), new Date(2020, 0, 1));
    const removed = await removeStaleTempFiles(target, {
      isProcessAlive: () => true,
      processStartedAt: () => Date.now() - 1000,
    });
    assert.deepEqual(removed, [reused]);
  });
});
