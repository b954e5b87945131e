import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import type { AnswerRecord, EnrichPrompt, ManifestRowLike } from '../../../src/output/answer-record.ts';
import { lookupInMap } from '../../../src/output/answer-record.ts';
import { integrateDataJob } from '../../../src/output/integrate-data-job.ts';
import { SLOT_STATUSES, type SlotStatus } from '../../../src/output/join-prompt-answers.ts';
import { createTestSeed } from '../../helpers/test-seed.ts';
import { iterate, valid } from './enrich-fixture.ts';

const seed = createTestSeed(import.meta.url);

/** A random store: each (row, prompt, sample) drawn into one state, as a job killed anywhere could leave it. */
function randomJob(rows: number): {
  prompts: EnrichPrompt[];
  manifest: ManifestRowLike[];
  answers: Map<string, AnswerRecord>;
  drawn: Map<string, SlotStatus>;
} {
  const prompts = [
    { name: 'a', samples: 1 },
    { name: 'b', samples: 3 },
    { name: 'c', samples: 1 },
  ];
  const answers = new Map<string, AnswerRecord>();
  const drawn = new Map<string, SlotStatus>();
  const manifest: ManifestRowLike[] = [];
  for (let index = 0; index < rows; index += 1) {
    const key = `k${String(index)}`;
    const entries: Record<string, ManifestRowLike['prompts'][string]> = {};
    for (const prompt of prompts) {
      const roll = seed.random();
      if (roll < 0.05) {
        entries[prompt.name] = { skipped: true };
        for (let sample = 0; sample < prompt.samples; sample += 1)
          drawn.set(`${key}/${prompt.name}/${String(sample)}`, 'skipped');
        continue;
      }
      if (roll < 0.08) {
        entries[prompt.name] = { rejected: 'missing variable' };
        for (let sample = 0; sample < prompt.samples; sample += 1)
          drawn.set(`${key}/${prompt.name}/${String(sample)}`, 'rejected');
        continue;
      }
      const ids = Array.from(
        { length: prompt.samples },
        (_, sample) => `${prompt.name}_${String(index)}_s${String(sample)}`,
      );
      entries[prompt.name] = ids;
      ids.forEach((id, sample) => {
        const status = (['valid', 'repaired', 'invalid', 'truncated', 'refused', 'failed', 'missing'] as const)[
          Math.floor(seed.random() * 7)
        ]!;
        drawn.set(`${key}/${prompt.name}/${String(sample)}`, status);
        if (status === 'missing') {
          if (seed.random() < 0.5) answers.set(id, { state: 'cancelled', attempts: 0, reasks: 0 });
        } else if (status === 'failed') {
          answers.set(id, {
            state: 'failed',
            error: { code: 'timeout', message: 'timed out' },
            attempts: 3,
            reasks: 0,
          });
        } else {
          answers.set(id, { ...valid({ n: index }), check: { status, value: { n: index }, issues: [] } });
        }
      });
    }
    manifest.push({ index, key, prompts: entries });
  }
  return { prompts, manifest, answers, drawn };
}

describe('join-back exactly once per (row, prompt, sample)', () => {
  it('every drawn state is in the enriched rows once, and the report adds up to the same counts', () =>
    seed.withNote(async () => {
      const rows = 2500;
      const job = randomJob(rows);
      const folder = await mkdtemp(join(tmpdir(), 'batchpilot-exactly-once-'));
      try {
        const out = join(folder, 'enriched.jsonl');
        const { report } = await integrateDataJob({
          manifestRows: iterate(job.manifest),
          dataRows: iterate(job.manifest.map((row) => ({ index: row.index, key: row.key, row: { key: row.key } }))),
          answers: lookupInMap(job.answers),
          prompts: job.prompts,
          out,
          format: 'jsonl',
          fields: 'nested',
          meta: false,
          minCoverage: 1,
        });
        const lines = (await readFile(out, 'utf8')).trim().split('\n');
        assert.equal(lines.length, rows, seed.note);
        const seen = new Map<string, SlotStatus>();
        const withoutValid: string[] = [];
        for (const line of lines) {
          const row = JSON.parse(line) as Record<string, unknown>;
          let lacks = false;
          for (const prompt of job.prompts) {
            const status = row[`${prompt.name}__status`];
            const statuses = (prompt.samples > 1 ? status : [status]) as SlotStatus[];
            assert.equal(statuses.length, prompt.samples, seed.note);
            statuses.forEach((one, sample) => {
              const slot = `${String(row['key'])}/${prompt.name}/${String(sample)}`;
              assert.equal(seen.has(slot), false, `${slot} twice; ${seed.note}`);
              seen.set(slot, one);
              if (one !== 'skipped' && one !== 'valid' && one !== 'repaired') lacks = true;
            });
          }
          if (lacks) withoutValid.push(String(row['key']));
        }
        assert.deepEqual(seen, job.drawn, seed.note);
        const counts = Object.fromEntries(SLOT_STATUSES.map((status) => [status, 0])) as Record<SlotStatus, number>;
        for (const status of job.drawn.values()) counts[status] += 1;
        assert.deepEqual(report.overall.answers, counts, seed.note);
        const keys = await readFile(join(folder, 'rows_without_valid.txt'), 'utf8');
        assert.deepEqual(keys.split('\n').filter(Boolean), withoutValid, seed.note);
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    }));
});
