import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { ItemRecord } from '../../../../src/core/item.ts';
import type { AnswerReview } from '../../../../src/engine/answer-review.ts';
import type { RunJobResult } from '../../../../src/engine/run-outcome.ts';
import { type BatchRunSettings, runBatchJob } from '../../../../src/engine/batch/run-batch-job.ts';
import { fingerprintInput } from '../../../../src/input/fingerprint-input.ts';
import type { BatchProvider } from '../../../../src/providers/provider.ts';
import { createStore } from '../../../../src/store/create-store.ts';
import type { Store } from '../../../../src/store/store.ts';
import { chatBatchLines, toJsonl } from '../../../helpers/temp-workspace.ts';

/**
 * A temp SQLite store and input file for `runBatchJob` against an in-memory provider: no server, no child process,
 * no waiting (polls every millisecond, retries after one).
 */

export const FAST_BATCH_SETTINGS: BatchRunSettings = {
  retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
  limit: 0,
  order: 'input',
  parser: { format: 'openai_batch', messagesKey: 'messages', defaults: { request: {}, extraBody: {} } },
  maxLineBytes: 1_048_576,
  chunkMaxRequests: undefined,
  chunkMaxBytes: undefined,
  maxConcurrent: 4,
  maxEnqueuedTokens: 0,
  pollIntervalMs: 1,
};

export interface BatchJobFixture {
  dir: string;
  store: Store;
  /** Creates job `id` over `lines` (JSONL lines) and runs it in batch mode to its end. */
  run(
    id: string,
    lines: readonly string[],
    provider: BatchProvider,
    settings?: Partial<BatchRunSettings>,
    options?: { signal?: AbortSignal; onNotice?: (message: string) => void; review?: AnswerReview },
  ): Promise<RunJobResult>;
  items(id: string): Promise<ItemRecord[]>;
  close(): Promise<void>;
}

export async function createBatchJobFixture(): Promise<BatchJobFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'bp-batch-engine-'));
  const store = createStore({ workspace: join(dir, 'ws') });
  return {
    dir,
    store,
    async run(id, lines, provider, settings = {}, options = {}) {
      const inputPath = join(dir, `${id}.jsonl`);
      await writeFile(inputPath, toJsonl(lines));
      const outDir = join(dir, 'ws', 'jobs', id);
      if ((await store.getJob(id)) === undefined) {
        await store.createJob({
          id,
          inputPath,
          inputFingerprint: await fingerprintInput(inputPath),
          config: {},
          outDir,
          now: Date.now(),
        });
      }
      return runBatchJob({
        jobId: id,
        store,
        provider,
        settings: { ...FAST_BATCH_SETTINGS, ...settings },
        workDir: outDir,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(options.onNotice === undefined ? {} : { onNotice: options.onNotice }),
        ...(options.review === undefined ? {} : { review: options.review }),
      });
    },
    async items(id) {
      const found: ItemRecord[] = [];
      for await (const item of store.iterateItems(id, 'input')) found.push(item);
      return found;
    },
    async close() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A fixture for the tests of one `describe`: made before them, closed after. Call it in the `describe` body; use it in
 * tests only.
 */
export function useBatchJobFixture(): Pick<BatchJobFixture, 'run' | 'items'> & { dir: () => string } {
  let fixture: BatchJobFixture | undefined;
  before(async () => {
    fixture = await createBatchJobFixture();
  });
  after(async () => {
    await fixture?.close();
  });
  const ready = (): BatchJobFixture => {
    if (fixture === undefined)
      throw new Error("useBatchJobFixture: the fixture exists from the describe block's before hook on");
    return fixture;
  };
  return {
    run: (...args) => ready().run(...args),
    items: (id) => ready().items(id),
    dir: () => ready().dir,
  };
}

/** `count` chat lines `<prefix>-0 ...`, each for `model`. */
export function lines(count: number, prefix: string, model = 'sim-model'): string[] {
  return chatBatchLines(count, { prefix, model });
}
