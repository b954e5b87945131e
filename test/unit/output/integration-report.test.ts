import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { lookupInMap, type AnswerRecord } from '../../../src/output/answer-record.ts';
import {
  findCoverageShortfalls,
  formatIntegrationSummary,
  IntegrationTally,
  writeIntegrationReport,
  type IntegrationReport,
} from '../../../src/output/integration-report.ts';
import { joinPromptAnswers } from '../../../src/output/join-prompt-answers.ts';
import { writeEnriched } from '../../../src/output/write-enriched.ts';
import { createEnrichFixture, iterate, valid } from './enrich-fixture.ts';

async function fixtureReport(minCoverage: number): Promise<IntegrationReport> {
  const fixture = createEnrichFixture();
  const folder = await mkdtemp(join(tmpdir(), 'batchpilot-report-'));
  try {
    const { tally } = await writeEnriched({
      manifestRows: iterate(fixture.manifest),
      dataRows: iterate(fixture.rows),
      answers: lookupInMap(fixture.answers),
      prompts: fixture.prompts,
      out: join(folder, 'enriched.jsonl'),
      format: 'jsonl',
      fields: 'nested',
      meta: false,
    });
    return tally.toReport({
      minCoverage,
      enrichedFile: 'enriched.jsonl',
      rowsWithoutValidFile: 'rows_without_valid.txt',
    });
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

function invalid(issues: { path: string; message: string }[]): AnswerRecord {
  return { ...valid(undefined), check: { status: 'invalid', issues } };
}

describe('integration report', () => {
  it('counts every (row, prompt, sample) in exactly one state, per prompt and overall', async () => {
    const report = await fixtureReport(1);
    const sentiment = report.prompts['sentiment']!;
    assert.deepEqual(sentiment.answers, {
      valid: 1,
      repaired: 1,
      invalid: 1,
      truncated: 0,
      refused: 0,
      failed: 1,
      missing: 1,
      skipped: 0,
      rejected: 0,
    });
    assert.equal(sentiment.rows, 5);
    assert.equal(sentiment.requests, 5);
    const topic = report.prompts['topic']!;
    assert.equal(topic.requests, 3);
    assert.equal(topic.answers.skipped, 1);
    assert.equal(topic.answers.rejected, 1);
    assert.equal(report.prompts['labels']!.requests, 10);
    const slots = Object.values(report.overall.answers).reduce((sum, count) => sum + count, 0);
    assert.equal(slots, 5 + 5 + 10);
    assert.equal(report.rows, 5);
    assert.equal(report.rows_without_valid.count, 4);
  });

  it('coverage: valid + repaired over wanted answers (skips left out, rejects in)', async () => {
    const report = await fixtureReport(0.8);
    assert.equal(report.prompts['sentiment']!.coverage, 0.4);
    assert.equal(report.prompts['topic']!.coverage, 0.75);
    assert.equal(report.prompts['topic']!.expected, 4);
    assert.equal(report.prompts['labels']!.coverage, 0.9);
    assert.equal(report.overall.coverage, Math.round((14 / 19) * 1e6) / 1e6);
    assert.deepEqual(report.short_of_coverage, ['sentiment', 'topic']);
    assert.deepEqual((await fixtureReport(0.4)).short_of_coverage, []);
    assert.deepEqual((await fixtureReport(1)).short_of_coverage, ['sentiment', 'topic', 'labels']);
  });

  it('min_coverage compares counts: 199,999 of 200,000 falls short of 1.0; nothing wanted never does', () => {
    const counts = (covered: number, expected: number): IntegrationReport['prompts'][string] =>
      ({ covered, expected }) as IntegrationReport['prompts'][string];
    const shortfalls = findCoverageShortfalls(
      { prompts: { a: counts(199_999, 200_000), b: counts(200_000, 200_000), c: counts(0, 0) } },
      1,
    );
    assert.deepEqual(
      shortfalls.map((short) => short.prompt),
      ['a'],
    );
    assert.deepEqual(findCoverageShortfalls({ prompts: { a: counts(199_999, 200_000) } }, 0.99), []);
  });

  it('re-asks: covered answers by the re-asks they took, and what the re-asks cost', async () => {
    const report = await fixtureReport(1);
    assert.deepEqual(report.prompts['sentiment']!.reasks, {
      valid_after: { '0': 1, '1': 1 },
      requests: 3,
      tokens: { input: 150, output: 20 },
      cost_usd: 0.0005,
    });
    assert.deepEqual(report.overall.reasks.valid_after, { '0': 13, '1': 1 });
    assert.equal(report.overall.tokens.input, 100 * 15);
  });

  it('top errors: grouped by path (array indices as *) and message, most frequent first, at most 10', () => {
    const tally = new IntegrationTally([{ name: 'p', samples: 1 }]);
    const answers = new Map<string, AnswerRecord>();
    const ids: string[] = [];
    for (let index = 0; index < 40; index += 1) {
      const issues = [{ path: `/items/${String(index % 7)}/name`, message: 'must be string' }];
      if (index % 2 === 0) issues.push({ path: '', message: "must have required property 'score'" });
      if (index < 12) issues.push({ path: `/f${String(index)}`, message: 'rare' });
      answers.set(`p_${String(index)}`, invalid(issues));
      ids.push(`p_${String(index)}`);
    }
    for (const id of ids) tally.addRow([joinPromptAnswers([id], 1, answers)]);
    const report = tally.toReport({ minCoverage: 1 });
    const top = report.prompts['p']!.top_errors;
    assert.equal(top.length, 10);
    assert.deepEqual(top[0], { path: '/items/*/name', message: 'must be string', count: 40 });
    assert.deepEqual(top[1], { path: '', message: "must have required property 'score'", count: 20 });
    assert.deepEqual(top[2], { path: '/f0', message: 'rare', count: 1 });
    assert.deepEqual(top[3], { path: '/f1', message: 'rare', count: 1 });
    assert.deepEqual(report.short_of_coverage, ['p']);
  });

  it('is written as JSON and summed up in a few terminal lines', async () => {
    const report = await fixtureReport(1);
    const folder = await mkdtemp(join(tmpdir(), 'batchpilot-report-file-'));
    try {
      const path = join(folder, 'integration_report.json');
      await writeIntegrationReport(path, report);
      assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), report);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
    const lines = formatIntegrationSummary(report);
    assert.ok(lines.length <= 10, lines.join('\n'));
    assert.match(lines[0]!, /^Enriched 5 rows × 3 prompts -> enriched\.jsonl$/);
    assert.match(lines[1]!, /^ {2}sentiment +coverage +40\.00% +valid 1, repaired 1, invalid 1, failed 1, missing 1$/);
    assert.ok(lines.some((line) => line.includes('4 rows without a valid answer: rows_without_valid.txt')));
    assert.ok(lines.some((line) => /below integrate\.min_coverage 100\.00%: sentiment \(40\.00%\), topic/.test(line)));
  });

  it('the summary has a line per group (valid rows against the target, skipped and missing rows) and per sink', () => {
    const tally = new IntegrationTally([{ name: 'p', samples: 1 }], {
      targets: { korean: 3, mural: 5 },
      already: { korean: 1 },
    });
    const answers = new Map<string, AnswerRecord>();
    for (let index = 0; index < 6; index += 1) answers.set(`p_${String(index)}`, valid({ ok: true }));
    for (const [id, group] of [
      ['p_0', 'korean'],
      ['p_1', 'korean'],
      ['p_2', 'mural'],
      ['p_3', 'mural'],
      ['p_4', 'mural'],
    ] as const) {
      tally.addRow([joinPromptAnswers([id], 1, answers)], group);
    }
    const report = {
      ...tally.toReport({ minCoverage: 0 }),
      sinks: [{ name: 'lake', rows_written: 5, batches: 2, retries: 1, done_through_row: 5 }],
    };
    const lines = formatIntegrationSummary(report);
    assert.ok(lines.includes('  group korean: 3 valid rows of 3 (1 already) reached'), lines.join('\n'));
    assert.ok(lines.includes('  group mural: 3 valid rows of 5 short by 2'), lines.join('\n'));
    assert.ok(lines.includes('  sink lake: 5 rows in 2 batches, 1 retries'), lines.join('\n'));
  });
});
