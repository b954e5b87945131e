import { createSeededRandom } from '../seeded-random.ts';

/** What happens to one request line, drawn when its batch is created. `invalid` lines get the endpoint's 400. */
export const LINE_OUTCOMES = { succeeded: 0, failed: 1, invalid: 2, expired: 3 } as const;
export type LineOutcome = (typeof LINE_OUTCOMES)[keyof typeof LINE_OUTCOMES];

export interface BatchFaultRates {
  batchFailRate: number;
  lineFailRate: number;
  lineExpireRate: number;
}

export interface BatchDraw {
  /** The whole batch fails (OpenAI, Zhipu: `validation_error`; Anthropic: 500 at create). */
  batchFails: boolean;
  outcomes: Uint8Array;
}

// Any odd 32-bit constant spreads consecutive batch numbers over unrelated seeds.
const BATCH_SEED_STEP = 0x9e3779b1;

/**
 * Draws a batch's fate from its own PRNG, seeded by the simulator seed and the batch's number on this server. So a
 * run is reproducible, and a line resubmitted in a later batch gets a fresh draw (a failure is never sticky). One draw
 * for the batch when `batchFailRate` > 0, then one per line when a line rate is > 0: [0, fail) fails,
 * [fail, fail + expire) expires.
 */
export function drawLineOutcomes(
  seed: number,
  batchNumber: number,
  invalid: readonly boolean[],
  rates: BatchFaultRates,
): BatchDraw {
  const random = createSeededRandom((Math.trunc(seed) ^ Math.imul(batchNumber, BATCH_SEED_STEP)) >>> 0);
  const batchFails = rates.batchFailRate > 0 && random() < rates.batchFailRate;
  const outcomes = new Uint8Array(invalid.length);
  const drawLines = rates.lineFailRate > 0 || rates.lineExpireRate > 0;
  for (let index = 0; index < invalid.length; index += 1) {
    const draw = drawLines ? random() : 1;
    if (draw < rates.lineFailRate) outcomes[index] = LINE_OUTCOMES.failed;
    else if (draw < rates.lineFailRate + rates.lineExpireRate) outcomes[index] = LINE_OUTCOMES.expired;
    else outcomes[index] = invalid[index] === true ? LINE_OUTCOMES.invalid : LINE_OUTCOMES.succeeded;
  }
  return { batchFails, outcomes };
}
