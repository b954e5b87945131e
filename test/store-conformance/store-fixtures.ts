import type { Attempt } from '../../src/core/attempt.ts';
import type { ItemCheck } from '../../src/core/item.ts';
import type { NewChunk, NewItem, Store } from '../../src/store/store.ts';
import type { Clock } from '../../src/util/clock.ts';

/** What a backend's conformance run can be asked for, besides a fresh store. */
export interface StoreTestOptions {
  /** Whether a pid on this host still runs (the lease's liveness rule); the real check when unset. */
  isProcessAlive?: (pid: number) => boolean;
  /** The clock the store records its own times with (a job's `updatedAt`). */
  clock?: Clock;
}

/** A store in a namespace of its own (a temp workspace, a fresh schema), and how to throw it away. */
export interface OpenedStore {
  store: Store;
  dispose: () => Promise<void>;
}

export type OpenStore = (options?: StoreTestOptions) => Promise<OpenedStore>;

export const JOB = 'job-1';

/** A check that failed, and one that passed, as an answer review would store them. */
export const INVALID: ItemCheck = { status: 'invalid', value: { a: 1 }, issues: [{ path: '/b', message: 'required' }] };
export const VALID: ItemCheck = { status: 'valid', value: { a: 1, b: 2 }, issues: [] };

/** A chunk to cut from pending items. */
export const CHUNK: NewChunk = { bytes: 100, tokens: 10, url: '/v1/chat/completions', model: 'm', now: 5 };

/** A clock the test moves by hand. */
export function manualClock(start = 1_000): Clock & { set(now: number): void } {
  let now = start;
  return { now: () => now, set: (next) => (now = next) };
}

export async function createTestJob(store: Store, id = JOB, now = 1): Promise<void> {
  await store.createJob({
    id,
    inputPath: '/data/in.jsonl',
    inputFingerprint: { size: 10, sample: 'abc', mtimeMs: 5 },
    config: { concurrency: 4, mode: 'realtime', input: { format: 'openai_batch' } },
    outDir: '/data/out',
    now,
  });
}

/** `count` valid lines from seq `from`, custom ids `c<seq>`, line `seq + 1`. */
export function newItems(from: number, count: number, customId = (seq: number) => `c${String(seq)}`): NewItem[] {
  return Array.from({ length: count }, (_, index) => {
    const seq = from + index;
    return {
      seq,
      customId: customId(seq),
      lineNo: seq + 1,
      byteOffset: seq * 10,
      byteLength: 9,
      lineHash: seq,
      raw: `{"n":${String(seq)}}`,
    };
  });
}

/** Ingests `count` items (no limit) in one batch, from seq 0. */
export async function ingestItems(store: Store, count: number, jobId = JOB): Promise<void> {
  await store.ingest(jobId, {
    items: newItems(0, count),
    rejects: [],
    limit: 0,
    position: { byte: count * 10, line: count, seq: count, done: true },
  });
}

export function attemptOf(seq: number, overrides: Partial<Attempt> = {}): Attempt {
  return {
    seq,
    attempt: 1,
    startedAt: 10,
    latencyMs: 5,
    statusCode: 200,
    outcome: 'ok',
    inputTokens: 3,
    outputTokens: 4,
    ...overrides,
  };
}

export async function collect<T>(values: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const value of values) all.push(value);
  return all;
}

/** The `code` of what `promise` rejected with (undefined when it has none). */
export async function rejectionCode(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return (error as { code?: string }).code;
  }
  throw new Error('expected a rejection');
}

type StoreTest = (store: Store) => Promise<void>;

/** Runs `test` on a fresh store (opened with `options` when given), thrown away after it whatever the outcome. */
export async function withStore(
  openStore: OpenStore,
  ...args: [test: StoreTest] | [options: StoreTestOptions, test: StoreTest]
): Promise<void> {
  const [options, test] = args.length === 1 ? [undefined, args[0]] : args;
  const { store, dispose } = await openStore(options);
  try {
    await test(store);
  } finally {
    await dispose();
  }
}
