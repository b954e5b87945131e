import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/run-cli.ts';

/**
 * A job log on a full disk neither crashes nor hangs the process: log lines are dropped (the store and result files
 * report their own write errors as DISK_FULL). Needs root to mount a tiny tmpfs, as CI runs; skipped otherwise.
 */
describe('a job log on a full disk', () => {
  it('drops its lines and lets the process end', async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'bp-logfull-'));
    const disk = join(root, 'disk');
    await mkdir(disk);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', disk], { stdio: 'ignore' });
    } catch {
      await rm(root, { recursive: true, force: true });
      return t.skip('cannot mount a tmpfs here (needs root)');
    }
    try {
      const logger = pathToFileURL(join(REPO_ROOT, 'src/util/logger.ts')).href;
      const script = `
        const { createLogger } = await import(${JSON.stringify(logger)});
        const log = createLogger({ file: ${JSON.stringify(join(disk, 'job.log'))} });
        for (let i = 0; i < 2000; i++) log.info({ i, pad: 'x'.repeat(200) }, 'line');
        log.flush();
        setTimeout(() => process.stdout.write('done'), 200);`;
      const child = spawnSync(
        process.execPath,
        [
          '--import',
          pathToFileURL(join(REPO_ROOT, 'node_modules/tsx/dist/esm/index.mjs')).href,
          '--input-type=module',
          '-e',
          script,
        ],
        { encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' },
      );
      assert.equal(child.status, 0, `signal ${String(child.signal)}\n${child.stdout}\n${child.stderr}`);
      assert.equal(child.stdout, 'done', child.stderr);
    } finally {
      execFileSync('umount', ['-l', disk]);
      await rm(root, { recursive: true, force: true });
    }
  });
});
