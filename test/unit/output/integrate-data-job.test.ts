import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { ERROR_CODES } from '../../../src/errors/codes.ts';
import { describeCoverageShortfalls, integrateDataJob } from '../../../src/output/integrate-data-job.ts';
import { createEnrichFixture, enrichOptions } from './enrich-fixture.ts';

describe('integrateDataJob', () => {
  it('writes the enriched file, the keys without a valid answer and the report, and names the prompts short', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'batchpilot-integrate-'));
    try {
      const fixture = createEnrichFixture();
      const out = join(folder, 'enriched.jsonl');
      const result = await integrateDataJob({ ...enrichOptions(fixture, out), minCoverage: 0.8 });
      assert.deepEqual((await readdir(folder)).sort(), [
        'enriched.jsonl',
        'integration_report.json',
        'rows_without_valid.txt',
      ]);
      const report = JSON.parse(await readFile(join(folder, 'integration_report.json'), 'utf8')) as unknown;
      assert.deepEqual(report, result.report);
      assert.equal(result.report.files.enriched, out);
      assert.equal(result.report.rows_without_valid.file, join(folder, 'rows_without_valid.txt'));
      assert.deepEqual(
        result.shortfalls.map((short) => short.prompt),
        ['sentiment', 'topic'],
      );
      assert.equal(result.summary[0], `Enriched 5 rows × 3 prompts -> ${out}`);
      const message = describeCoverageShortfalls(result.shortfalls, 0.8);
      assert.match(message, /integrate\.min_coverage 80\.00%: sentiment 40\.00% \(2 of 5\), topic 75\.00% \(3 of 4\)/);
      assert.equal(ERROR_CODES.COVERAGE_BELOW_MIN.exitCode, 3);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
