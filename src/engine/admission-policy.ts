/**
 * The engine's seam to admission by need (issue 13 §1, docs/decisions/0024): which of a job's open items are sent,
 * and when. A data job with group targets injects one built in compose/ (`compose/group-admission.ts`); without one,
 * a run sends every item as before.
 *
 * Contract:
 * - Items are admitted by units (a data row: its prompts go together). The engine hands the policy what the store
 *   holds: `learn` each settled item's outcome, then `add` each open item, before asking `next`. An open item whose
 *   request is out already (batch mode: in a remote batch an earlier run submitted) is added with `sent`: its unit was
 *   admitted before and counts as out.
 * - `next` returns the items of the next unit to send, `wait` while nothing may be sent now but items out may change
 *   that (an invalid answer leaves a group short again), or `done` when nothing more will ever be admitted.
 * - `settled` is told every item's final outcome in this run (an answer and its check, or a failure).
 * - `changed` resolves at the next `settled` (the feed waits on it).
 * - `skippable` hands over, once, the items of units the policy will never admit (their group has reached its target):
 *   the engine ends them `cancelled` with the reason `target_reached` (see `SKIPPED_REASON`) at once, so what follows
 *   the run in source order (the join-back walk, the sinks) does not wait on them until the end.
 * - Open items never admitted when the run completes are ended by the engine the same way.
 */
import type { OpenItem, SettledItem } from '../store/store.ts';

/**
 * An item's end as the policy counts it: its state and, for an answer that was checked, the check's status. The
 * store lists earlier runs' in this shape (`ItemStore.iterateOutcomes`); the dispatcher tells this run's.
 */
export type ItemOutcome = SettledItem;

export type AdmissionStep = readonly OpenItem[] | 'wait' | 'done';

export interface AdmissionPolicy {
  /** The group an item's unit is in, kept with the item in the store at ingest (`items.group_key`). */
  groupOf(customId: string): string | undefined;
  learn(outcome: ItemOutcome): void;
  add(item: OpenItem, sent?: boolean): void;
  next(): AdmissionStep;
  settled(outcome: ItemOutcome): void;
  changed(): Promise<void>;
  skippable(): readonly OpenItem[];
}

/** The missing reason of an item its unit's group did not need (the group reached its target). */
export const SKIPPED_REASON = 'target_reached';
