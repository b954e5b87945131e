/**
 * When a group of a running data job should be done, from the store's counts (docs/decisions/0029): its remaining
 * need over the rate its valid answers came in at lately, in this run.
 *
 * - A group with a target needs `target − already − valid rows` more valid rows, at its recent valid-answer rate.
 * - A group without one is done when its open rows are settled, at its recent rate of settled answers (any outcome).
 * - `done`: the target is reached (rows left unsent end `skipped`), or no target and nothing open; `short`: nothing
 *   open, the input read whole, and below target; `unknown` ("—"): the job is not running, nothing came in lately,
 *   or the valid rows are not known live (rows that make several requests: the store counts answers, not rows).
 */
export interface GroupEtaInput {
  target: number;
  already: number;
  /** Valid rows of this job so far; null when the store's answers do not tell rows apart. */
  validRows: number | null;
  /** Items not settled yet (pending, waiting to retry, in flight; unsent rows included until the run ends). */
  open: number;
  /** Valid answers, and settled ones, that came in over the last `windowS` seconds. */
  recentValid: number;
  recentSettled: number;
  windowS: number;
  running: boolean;
  inputFullyRead: boolean;
}

export type GroupEtaState = 'done' | 'short' | 'estimated' | 'unknown';

export interface GroupEta {
  state: GroupEtaState;
  /** Seconds to go when `estimated`, else null. */
  seconds: number | null;
}

const UNKNOWN: GroupEta = { state: 'unknown', seconds: null };

export function estimateGroupEta(input: GroupEtaInput): GroupEta {
  const have = input.validRows === null ? null : input.validRows + input.already;
  if (input.target > 0 && have !== null && have >= input.target) return { state: 'done', seconds: null };
  if (input.open === 0) {
    if (input.target === 0) return { state: 'done', seconds: null };
    return have !== null && input.inputFullyRead ? { state: 'short', seconds: null } : UNKNOWN;
  }
  if (!input.running || input.windowS <= 0) return UNKNOWN;
  if (input.target === 0) return estimate(input.open, input.recentSettled / input.windowS);
  if (have === null) return UNKNOWN;
  return estimate(input.target - have, input.recentValid / input.windowS);
}

function estimate(need: number, perSecond: number): GroupEta {
  return perSecond > 0 ? { state: 'estimated', seconds: Math.ceil(need / perSecond) } : UNKNOWN;
}

/** As the text views show it: `done`, `short`, `42s`, `3m10s`, `1h05m`, or `—`. */
export function formatGroupEta(eta: GroupEta): string {
  if (eta.state === 'done' || eta.state === 'short') return eta.state;
  if (eta.seconds === null) return '—';
  const s = eta.seconds;
  if (s < 60) return `${String(s)}s`;
  if (s < 3600) return `${String(Math.floor(s / 60))}m${String(s % 60).padStart(2, '0')}s`;
  return `${String(Math.floor(s / 3600))}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
