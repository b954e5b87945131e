import type { ItemCheck, ItemError, TokenUsage } from '../core/item.ts';
import type { ItemState } from '../core/states.ts';

/**
 * What join-back reads of one stored answer (one item: a row, a prompt, a sample), and the small interfaces the
 * enriched-dataset writer is fed through. The types of prep/ are copied here as structural subsets (`ManifestRow`
 * of src/prep/manifest.ts, `DataRow` of src/prep/data-row.ts, `PromptSpec` of src/prep/prompt-spec.ts), because
 * output/ may not import prep/ (eslint.config.js, allowedImports): those satisfy them as they are.
 */

/** A check's verdict (`AnswerStatus` of src/validate/answer-check.ts). */
export type AnswerCheckStatus = 'valid' | 'repaired' | 'invalid' | 'truncated' | 'refused';

/**
 * The stored check (`ItemCheck` of src/core/item.ts, the `AnswerCheck` less its `text`) with its status narrowed to
 * the verdicts: join-back writes the status as the slot's.
 */
export interface AnswerCheckLike extends ItemCheck {
  status: AnswerCheckStatus;
}

/** One item as join-back sees it: its state in the store, the check beside it, and what it cost. */
export interface AnswerRecord {
  /** The item's state; an answered item is `succeeded` whatever its check says. */
  state: ItemState;
  /** The last answer's check; expected for every `succeeded` item of a data job. */
  check?: AnswerCheckLike;
  /** Why a `failed` item failed (its stored error). */
  error?: Pick<ItemError, 'code' | 'message'>;
  /** Every attempt sent for the item: retries and re-asks included. */
  attempts: number;
  /** Re-asks sent (attempts made because an answer was not valid). */
  reasks: number;
  /** Not sent: its group had reached its target (docs/decisions/0024); joined as `skipped`. */
  targetReached?: true;
  /** The model that answered (as the provider named it). */
  model?: string;
  /** Tokens of every attempt, re-asks included. */
  usage?: TokenUsage;
  /** Cost of every attempt in USD; absent or null when the model has no known price. */
  costUsd?: number | null;
  /** The part of `usage` spent on re-asks (attempts with re-ask number 1 or more). */
  reaskUsage?: TokenUsage;
  /** The part of `costUsd` spent on re-asks. */
  reaskCostUsd?: number | null;
}

/**
 * The store's answers for a page of custom_ids (absent from the map: never stored). Called with at most a page of
 * ids at a time (`ENRICH_PAGE_ROWS` rows × their prompts and samples), in the order rows come: one indexed query per
 * page, whatever order the store keeps items in.
 */
export type AnswerLookup = (customIds: readonly string[]) => Promise<ReadonlyMap<string, AnswerRecord>>;

/** Per prompt of one manifest row: its custom_ids (one per sample), or why it has none. */
export type ManifestRowPrompt = readonly string[] | { skipped: true } | { rejected: string };

/** One row of the prepare manifest (`PrepareManifest['rows'][number]`). */
export interface ManifestRowLike {
  index: number;
  key: string;
  prompts: Readonly<Record<string, ManifestRowPrompt>>;
  /** The row's group (`data.group_by`, docs/decisions/0024), when the job has groups. */
  group?: string;
}

/** One source row (`DataRow`): its own fields are copied into the enriched row. */
export interface SourceRowLike {
  index: number;
  key: string;
  row: Readonly<Record<string, unknown>>;
}

/** What join-back needs of a prompt (`PromptSpec`): its name (the field) and how many samples it asks. */
export interface EnrichPrompt {
  name: string;
  samples: number;
}

/** An answer lookup over a map held in memory: for tests and small jobs. */
export function lookupInMap(answers: ReadonlyMap<string, AnswerRecord>): AnswerLookup {
  return (customIds) => {
    const found = new Map<string, AnswerRecord>();
    for (const id of customIds) {
      const answer = answers.get(id);
      if (answer !== undefined) found.set(id, answer);
    }
    return Promise.resolve(found);
  };
}
