import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../../src/cli/main.ts';
import { ERROR_CODES } from '../../../src/errors/index.ts';
import { jobExitCode, storedJobExitCode } from '../../../src/cli/job-exit-code.ts';

/**
 * Issue 11 section 5: exit codes only through the error catalog. `main` returns a command's code without using
 * `process.exitCode` as a channel (only the process entry sets it), and the outcome codes are the catalog's.
 */

describe('exit codes', () => {
  it('main returns the code and leaves process.exitCode alone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'batchpilot-main-'));
    const before = process.exitCode;
    const writes = process.stdout.write.bind(process.stdout);
    process.stdout.write = (): boolean => true;
    try {
      process.exitCode = undefined;
      const code = await main(['node', 'batchpilot', '--workspace', join(dir, 'ws'), '--json', 'list']);
      assert.equal(code, 0);
      assert.equal(process.exitCode, undefined);
    } finally {
      process.stdout.write = writes;
      process.exitCode = before;
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('maps outcomes to the catalog entries INTERRUPTED and ITEMS_UNFINISHED', () => {
    const counts = { counts: { failed: 0, missing: 0 }, missing_by_reason: {} };
    const report = (failed: number): Parameters<typeof jobExitCode>[1] =>
      ({ ...counts, counts: { ...counts.counts, failed } }) as unknown as Parameters<typeof jobExitCode>[1];
    assert.equal(jobExitCode('interrupted', report(0)), ERROR_CODES.INTERRUPTED.exitCode);
    assert.equal(jobExitCode('completed', report(1)), ERROR_CODES.ITEMS_UNFINISHED.exitCode);
    assert.equal(jobExitCode('completed', report(0)), 0);
    assert.equal(storedJobExitCode('interrupted', { failed: 0, missing: 0 }), ERROR_CODES.INTERRUPTED.exitCode);
    assert.equal(storedJobExitCode('cancelled', { failed: 0, missing: 0 }), ERROR_CODES.ITEMS_UNFINISHED.exitCode);
  });
});
