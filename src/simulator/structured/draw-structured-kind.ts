import { createSeededRandom } from '../seeded-random.ts';

/** What a structured answer turns out to be; every kind but `valid` is a fault of its own rate. */
export const STRUCTURED_KINDS = ['valid', 'invalidJson', 'schemaBreak', 'shortText', 'truncated', 'refusal'] as const;
export type StructuredKind = (typeof STRUCTURED_KINDS)[number];
export type StructuredFaultKind = Exclude<StructuredKind, 'valid'>;

/** The fault kinds in the order one draw is matched against their rates (see fault-injection.ts for the scheme). */
const STRUCTURED_FAULT_KINDS: readonly StructuredFaultKind[] = [
  'invalidJson',
  'schemaBreak',
  'shortText',
  'truncated',
  'refusal',
];

export type StructuredFaultRates = Record<StructuredFaultKind, number> & { reaskFixRate: number };

/**
 * The kind of one structured answer, drawn from a PRNG seeded by the simulator seed and the request's hash: the same
 * request always gets the same kind (so realtime and batch agree, and a resumed run sees what the first one saw),
 * while a re-ask, which differs from its original request, gets a draw of its own.
 *
 * A first ask: one draw over [0, invalidJson), [invalidJson, + schemaBreak), ...; past their sum, `valid`.
 * A re-ask (`reask`): `valid` with probability `reaskFixRate`; otherwise a fault picked in proportion to the fault
 * rates (`schemaBreak` when all are 0), so a re-ask that is not fixed is always faulty.
 */
export function drawStructuredKind(
  rates: StructuredFaultRates,
  seed: number,
  requestHash: number,
  reask: boolean,
): StructuredKind {
  const total = STRUCTURED_FAULT_KINDS.reduce((sum, kind) => sum + rates[kind], 0);
  if (!reask && total <= 0) return 'valid';
  const random = createSeededRandom((Math.trunc(seed) ^ Math.imul(requestHash, 0x85ebca6b)) >>> 0);
  let draw = random();
  if (reask) {
    if (draw < rates.reaskFixRate) return 'valid';
    if (total <= 0) return 'schemaBreak';
    draw = random() * total;
  }
  let upTo = 0;
  for (const kind of STRUCTURED_FAULT_KINDS) {
    upTo += rates[kind];
    if (draw < upTo) return kind;
  }
  return 'valid';
}
