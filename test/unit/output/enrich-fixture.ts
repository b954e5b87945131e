import {
  lookupInMap,
  type AnswerRecord,
  type EnrichPrompt,
  type ManifestRowLike,
  type SourceRowLike,
} from '../../../src/output/answer-record.ts';
import type { WriteEnrichedOptions } from '../../../src/output/write-enriched.ts';

/** An in-memory data job for join-back tests: rows, a manifest over them, and stored answers. */
export interface EnrichFixture {
  prompts: EnrichPrompt[];
  rows: SourceRowLike[];
  manifest: ManifestRowLike[];
  answers: Map<string, AnswerRecord>;
}

export async function* iterate<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield await Promise.resolve(item);
}

/** `writeEnriched`'s options over a fixture: nested jsonl without meta fields, unless `overrides` say otherwise. */
export function enrichOptions(
  fixture: EnrichFixture,
  out: string,
  overrides: Partial<WriteEnrichedOptions> = {},
): WriteEnrichedOptions {
  return {
    manifestRows: iterate(fixture.manifest),
    dataRows: iterate(fixture.rows),
    answers: lookupInMap(fixture.answers),
    prompts: fixture.prompts,
    out,
    format: 'jsonl',
    fields: 'nested',
    meta: false,
    ...overrides,
  };
}

export function valid(value: unknown, extra: Partial<AnswerRecord> = {}): AnswerRecord {
  return {
    state: 'succeeded',
    check: { status: 'valid', value, issues: [] },
    attempts: 1,
    reasks: 0,
    model: 'glm-4-air',
    usage: { inputTokens: 100, outputTokens: 20 },
    costUsd: 0.001,
    ...extra,
  };
}

/**
 * Five posts, three prompts: `sentiment` (json), `topic` (text, `when` skips row 3, row 4 rejected) and `labels`
 * (json, 2 samples). Each row of `sentiment` ends differently: valid, repaired, invalid, failed, missing.
 */
export function createEnrichFixture(): EnrichFixture {
  const prompts: EnrichPrompt[] = [
    { name: 'sentiment', samples: 1 },
    { name: 'topic', samples: 1 },
    { name: 'labels', samples: 2 },
  ];
  const rows: SourceRowLike[] = [0, 1, 2, 3, 4].map((index) => ({
    index,
    key: `post-${String(index)}`,
    row: {
      id: `post-${String(index)}`,
      text: `text ${String(index)}`,
      user: { name: `u${String(index)}`, lang: 'zh' },
    },
  }));
  const manifest: ManifestRowLike[] = rows.map((row) => ({
    index: row.index,
    key: row.key,
    prompts: {
      sentiment: [`sentiment_${pad(row.index)}`],
      topic:
        row.index === 3
          ? { skipped: true }
          : row.index === 4
            ? { rejected: 'prompt topic, row post-4: template variable `title` is missing' }
            : [`topic_${pad(row.index)}`],
      labels: [`labels_${pad(row.index)}_s0`, `labels_${pad(row.index)}_s1`],
    },
  }));
  const answers = new Map<string, AnswerRecord>();
  answers.set('sentiment_0000', valid({ polarity: 'positive', score: 0.9 }));
  answers.set('sentiment_0001', {
    ...valid({ polarity: 'negative', score: 0.1 }),
    check: { status: 'repaired', value: { polarity: 'negative', score: 0.1 }, issues: [] },
    reasks: 1,
    attempts: 2,
    reaskUsage: { inputTokens: 150, outputTokens: 20 },
    reaskCostUsd: 0.0005,
  });
  answers.set('sentiment_0002', {
    ...valid(undefined),
    check: {
      status: 'invalid',
      value: { polarity: 'meh' },
      issues: [
        { path: '/polarity', message: 'must be equal to one of the allowed values' },
        { path: '', message: "must have required property 'score'" },
      ],
    },
    reasks: 2,
    attempts: 3,
  });
  answers.set('sentiment_0003', {
    state: 'failed',
    error: { code: 'http_400', message: 'bad request' },
    attempts: 1,
    reasks: 0,
  });
  // sentiment_0004: never stored (missing).
  for (const index of [0, 1, 2]) answers.set(`topic_${pad(index)}`, valid(`topic of ${String(index)}`));
  for (const row of rows) {
    answers.set(`labels_${pad(row.index)}_s0`, valid(['a', String(row.index)]));
    if (row.index !== 1) answers.set(`labels_${pad(row.index)}_s1`, valid(['b']));
    else answers.set(`labels_${pad(row.index)}_s1`, { state: 'pending', attempts: 0, reasks: 0 });
  }
  return { prompts, rows, manifest, answers };
}

function pad(index: number): string {
  return String(index).padStart(4, '0');
}
