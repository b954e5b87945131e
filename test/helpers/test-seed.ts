import { randomInt } from 'node:crypto';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSeededRandom } from '../../src/simulator/index.ts';
import { REPO_ROOT } from './run-cli.ts';

/**
 * The seed of a test file's random choices (kill points, the simulator's fault dice): `BATCHPILOT_TEST_SEED` when
 * set, to replay a failure, else a fresh one per run. Every assertion message of a seeded test carries `note`, the
 * seed and the command that replays it.
 */

export const TEST_SEED_ENV = 'BATCHPILOT_TEST_SEED';

export interface TestSeed {
  seed: number;
  /** `seed 123 (replay: BATCHPILOT_TEST_SEED=123 node --import tsx --test test/x.test.ts)` */
  note: string;
  /** Uniform in [0, 1), from the seed. */
  random(): number;
  /** A whole number from `min` to `max`, from the seed. */
  between(min: number, max: number): number;
  /** A seed for something else seeded (a simulator), derived so that two users of one seed do not draw alike. */
  derive(offset: number): number;
  /** Runs `fn`; an error it throws (an assertion of a helper included) gets `note` appended to its message. */
  withNote<T>(fn: () => Promise<T>): Promise<T>;
}

function readSeed(): number {
  const value = process.env[TEST_SEED_ENV];
  if (value === undefined || value === '') return randomInt(1, 2 ** 31);
  const seed = Number(value);
  if (!Number.isSafeInteger(seed)) throw new Error(`${TEST_SEED_ENV} must be a whole number, got "${value}"`);
  return seed;
}

/** The seed of the test file at `fileUrl` (pass `import.meta.url`), for this run. */
export function createTestSeed(fileUrl: string): TestSeed {
  const seed = readSeed();
  const random = createSeededRandom(seed);
  const file = relative(REPO_ROOT, fileURLToPath(fileUrl));
  const note = `seed ${String(seed)} (replay: ${TEST_SEED_ENV}=${String(seed)} node --import tsx --test ${file})`;
  return {
    seed,
    note,
    random,
    between: (min, max) => Math.round(min + random() * (max - min)),
    derive: (offset) => (seed + offset * 0x9e3779b1) >>> 0,
    async withNote(fn) {
      try {
        return await fn();
      } catch (error) {
        if (error instanceof Error && !error.message.includes(note)) error.message += `\n${note}`;
        throw error;
      }
    },
  };
}
