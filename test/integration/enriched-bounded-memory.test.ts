import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import type { AnswerRecord, ManifestRowLike, SourceRowLike } from '../../src/output/answer-record.ts';
import { writeEnriched } from '../../src/output/write-enriched.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const ROWS = 200_000;
const PROMPTS = [
  { name: 'sentiment', samples: 1 },
  { name: 'topic', samples: 1 },
  { name: 'profile', samples: 1 },
];
/** Heap in use (after a full GC) may grow this much from row 20,000 to row 200,000: far less than the rows' size. */
const HEAP_GROWTH_MAX = 24 * 1024 * 1024;

function* sourceRows(): Generator<SourceRowLike> {
  for (let index = 0; index < ROWS; index += 1) {
    yield { index, key: `post-${String(index)}`, row: { id: index, text: `post number ${String(index)} `.repeat(8) } };
  }
}

function* manifestRows(): Generator<ManifestRowLike> {
  for (let index = 0; index < ROWS; index += 1) {
    const id = String(index).padStart(6, '0');
    yield {
      index,
      key: `post-${String(index)}`,
      prompts: Object.fromEntries(PROMPTS.map((prompt) => [prompt.name, [`${prompt.name}_${id}`]])),
    };
  }
}

function answerFor(customId: string): AnswerRecord | undefined {
  const index = Number(customId.slice(customId.lastIndexOf('_') + 1));
  if (index % 97 === 0) return undefined;
  const invalid = index % 13 === 0;
  return {
    state: 'succeeded',
    check: invalid
      ? { status: 'invalid', issues: [{ path: `/labels/${String(index % 5)}`, message: 'must be string' }] }
      : { status: 'valid', value: { label: `label-${String(index % 11)}`, score: (index % 100) / 100 }, issues: [] },
    attempts: 1 + (index % 3),
    reasks: index % 3,
    model: 'glm-4-air',
    usage: { inputTokens: 120, outputTokens: 30 },
    costUsd: 0.0001,
  };
}

/** Rows as an async source, as the data reader and the manifest reader give them. */
async function* toAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  for (const item of items) yield await Promise.resolve(item);
}

describe('join-back with bounded memory', () => {
  it('enriches 200,000 rows × 3 prompts with a flat heap, every row written in order', async (context) => {
    const folder = await mkdtemp(join(tmpdir(), 'batchpilot-enriched-memory-'));
    try {
      const samples: number[] = [];
      let pages = 0;
      const out = join(folder, 'enriched.jsonl');
      const { tally } = await writeEnriched({
        manifestRows: toAsync(manifestRows()),
        dataRows: toAsync(sourceRows()),
        answers: (customIds) => {
          pages += 1;
          // Every 20 pages (20,000 rows), the heap in use after a full collection.
          if (pages % 20 === 0) {
            gc();
            samples.push(process.memoryUsage().heapUsed);
          }
          const found = new Map<string, AnswerRecord>();
          for (const id of customIds) {
            const answer = answerFor(id);
            if (answer !== undefined) found.set(id, answer);
          }
          return Promise.resolve(found);
        },
        prompts: PROMPTS,
        out,
        format: 'jsonl',
        fields: 'flat',
        meta: true,
        rowsWithoutValidOut: join(folder, 'rows_without_valid.txt'),
      });
      const report = tally.toReport({ minCoverage: 1 });
      const baseline = samples[0]!;
      const growth = Math.max(...samples) - baseline;
      const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
      context.diagnostic(
        `heap after GC at row 20,000: ${mb(baseline)}; most growth to row 200,000: ${mb(growth)}; file ${mb((await stat(out)).size)}`,
      );
      assert.ok(growth < HEAP_GROWTH_MAX, `heap grew ${mb(growth)} (samples: ${samples.map(mb).join(', ')})`);
      assert.equal(report.rows, ROWS);
      assert.equal(report.overall.expected, ROWS * 3);
      let seen = 0;
      for await (const line of createInterface({ input: createReadStream(out), crlfDelay: Infinity })) {
        const row = JSON.parse(line) as { id: number };
        assert.equal(row.id, seen);
        seen += 1;
      }
      assert.equal(seen, ROWS);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
