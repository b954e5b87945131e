import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanEnv, installPackedPackage, run, STEP_TIMEOUT_MS } from '../helpers/install-packed.ts';
import { chatBatchLines, toJsonl } from '../helpers/temp-workspace.ts';

/**
 * Issue 10 section 6, "install": the packed package works installed outside the repository. The test packs it
 * (`npm pack`, which builds dist/), installs the tarball into an empty folder (offline, see install-packed.ts) and runs
 * `batchpilot --version` and a small `--simulate` job from another empty folder, through the installed bin.
 */

let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'batchpilot-install-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('install from a packed tarball', () => {
  it('runs --version and a --simulate job from an empty folder', { timeout: 120_000 }, async () => {
    const env = cleanEnv();
    const { install, pkg } = await installPackedPackage(dir, env);

    const bin = join(install, 'node_modules', '.bin', 'batchpilot');
    const elsewhere = join(dir, 'elsewhere');
    await mkdir(elsewhere);
    const version = await run(bin, ['--version'], { cwd: elsewhere, env, timeout: STEP_TIMEOUT_MS });
    assert.equal(version.stdout.trim(), pkg.version);

    await writeFile(join(elsewhere, 'in.jsonl'), toJsonl(chatBatchLines(10)));
    const job = await run(bin, ['--json', 'run', 'in.jsonl', '--simulate', '--no-progress'], {
      cwd: elsewhere,
      env,
      timeout: STEP_TIMEOUT_MS,
    });
    const result = JSON.parse(job.stdout.trim().split('\n').at(-1) ?? '{}') as {
      outcome: string;
      report: { counts: { succeeded: number }; files: Record<string, string> };
    };
    assert.equal(result.outcome, 'completed', job.stdout + job.stderr);
    assert.equal(result.report.counts.succeeded, 10, job.stdout + job.stderr);
    assert.ok(result.report.files['output']?.startsWith(join(elsewhere, '.batchpilot')), job.stdout);
  });
});
