import type { FailureRates } from './simulator-options.ts';

export type FaultKind = keyof FailureRates;

/** The order in which one draw is matched against the rates; earlier kinds win when the rates add up past 1. */
export const FAULT_KINDS: readonly FaultKind[] = [
  'http500',
  'http429',
  'resetBeforeResponse',
  'resetMidBody',
  'hang',
  'malformed',
  'http503',
  'http529',
  'endless',
  'stall',
];

/**
 * Returns a function to call once per generation request, in arrival order. It takes ONE draw from `random` and maps
 * it onto consecutive intervals [0, http500), [http500, http500 + http429), ... so each kind happens with exactly its
 * rate while the rates sum to 1 or less. The draw depends on call order, not on the request, so a retried request can
 * succeed. When every rate is 0 no draw is taken.
 */
export function createFaultPicker(rates: Required<FailureRates>, random: () => number): () => FaultKind | undefined {
  const upperBounds: { kind: FaultKind; upTo: number }[] = [];
  let total = 0;
  for (const kind of FAULT_KINDS) {
    if (rates[kind] <= 0) continue;
    total += rates[kind];
    upperBounds.push({ kind, upTo: total });
  }
  if (upperBounds.length === 0) return () => undefined;
  return () => {
    const draw = random();
    for (const bound of upperBounds) {
      if (draw < bound.upTo) return bound.kind;
    }
    return undefined;
  };
}
