import type { GroupsConfig } from '../config/config-schema.ts';
import {
  SKIPPED_REASON,
  type AdmissionPolicy,
  type AdmissionStep,
  type ItemOutcome,
} from '../engine/admission-policy.ts';
import type { ItemRecord } from '../core/item.ts';
import type { GroupReportLine } from '../output/build-report.ts';
import { isCovered } from '../output/join-prompt-answers.ts';
import type { ManifestRow } from '../prep/manifest.ts';
import type { OpenItem } from '../store/store.ts';

/** One group's figures, as the report, `--json` and `status` show them. */
export interface GroupFigures {
  group: string;
  /** 0: no target (every row runs). */
  target: number;
  already: number;
  /** Valid rows of this job (without `already`). */
  valid: number;
  /** Rows sent whose counted answers are not all in yet. */
  inFlight: number;
  /** Rows whose counted answers are in (valid or not). */
  decided: number;
  /** Rows left unsent: skipped (`target_reached`) once their group reached its target, or when the run completes. */
  waiting: number;
  /** Valid rows among decided ones, in this job; null before any. */
  passRate: number | null;
  /**
   * `reached`: valid + already ≥ target; `short`: below target with no row left to send; `open`: still running; `done`:
   * no target and every row decided.
   */
  state: 'reached' | 'short' | 'open' | 'done';
  /** target − (valid + already) when short, else 0. */
  shortfall: number;
}

/** A data job's admission by need, with its figures. */
export interface GroupAdmission extends AdmissionPolicy {
  figures(): GroupFigures[];
}

/** A row's flags (`rowFlags`). */
const FAILED = 1; // a counted answer settled not valid
const OUT = 2; // admitted, its counted answers not all in yet
const SETTLED_BEFORE = 4; // an item settled before this run
const SENT_BEFORE = 8; // an item went out before this run (a retry waiting, a re-ask, a lost request, an open chunk)
const SKIPPED_ROW = 16; // stored: an item ended `target_reached` (readStoredGroupFigures)

/** An item's flags (`itemFlags`). */
const COUNTED = 1; // its answer decides whether the row counts
const SETTLED = 2;

/** Numbers in admission order, taken from the front without moving the rest (a large array's shift copies it). */
class IndexQueue {
  private readonly entries: number[] = [];
  private head = 0;

  get size(): number {
    return this.entries.length - this.head;
  }

  push(entry: number): void {
    this.entries.push(entry);
  }

  take(): number | undefined {
    if (this.head === this.entries.length) return undefined;
    const entry = this.entries[this.head];
    this.head += 1;
    return entry;
  }
}

interface Group {
  name: string;
  target: number;
  already: number;
  weight: number;
  valid: number;
  invalid: number;
  out: number;
  /** Rows (their numbers) not admitted yet. */
  waiting: IndexQueue;
  /** Units admitted in this run, for the round robin. */
  served: number;
  /** Rows handed to the engine to skip (the group reached its target): no longer waiting, never sent. */
  skipped: number;
}

/**
 * Admission by need over a data job's row groups (issue 13 §1, docs/decisions/0024). A row is the unit: its items go
 * together. A row counts when every answer of `count_prompt` (every prompt that applies, when unset) is valid or
 * repaired. A group with a target admits a row while `valid + already + out < target + overshoot` and
 * `valid + already + out × passRate < target`, the pass rate learned from its decided rows: with overshoot 0 it never
 * ends above its target, and it admits again whenever a row out ends invalid, so it never ends below it while rows
 * remain. Rows an earlier run started go out first, whatever the need (their answers are paid for; the invariant held
 * when they were admitted). Groups take turns by the smallest served/weight, or by the largest need (`order: need`).
 * `alreadyFrom`: rows a sink holds per group (`groups.already_from`, `Sink.countByGroup`), added to `already`; the sink
 * runner counts them at the start of a run.
 */
export function createGroupAdmission(
  groups: GroupsConfig,
  manifestRows: Iterable<ManifestRow>,
  alreadyFrom?: ReadonlyMap<string, number>,
): GroupAdmission {
  const builder = new GroupAdmissionBuilder(groups, alreadyFrom);
  for (const row of manifestRows) builder.addRow(row);
  return builder.build();
}

/** `createGroupAdmission` over rows read as they come (the manifest file), never all held at once. */
export async function readGroupAdmission(
  groups: GroupsConfig,
  manifestRows: AsyncIterable<ManifestRow>,
  alreadyFrom?: ReadonlyMap<string, number>,
): Promise<GroupAdmission> {
  const builder = new GroupAdmissionBuilder(groups, alreadyFrom);
  for await (const row of manifestRows) builder.addRow(row);
  return builder.build();
}

/** An item as the store holds it, for `readStoredGroupFigures`. */
export type StoredGroupItem = Pick<
  ItemRecord,
  'customId' | 'state' | 'attempts' | 'reasks' | 'missingReason' | 'check'
>;

/**
 * The figures of a data job's groups from its items as the store holds them, with no run's admission (`collect JOB`,
 * docs/decisions/0033): decided rows are valid or not as a run learns them; a row with items left `target_reached` was
 * skipped; a row with an open counted item is in flight when an earlier answer or attempt shows it was sent, else
 * waiting. For a job that ended these are the figures its run reported; for one still running, where it stands.
 */
export async function readStoredGroupFigures(
  groups: GroupsConfig,
  manifestRows: AsyncIterable<ManifestRow>,
  items: AsyncIterable<StoredGroupItem>,
): Promise<GroupFigures[]> {
  const builder = new GroupAdmissionBuilder(groups, undefined);
  for await (const row of manifestRows) builder.addRow(row);
  return builder.storedFigures(items);
}

/**
 * The policy's state is kept per row and per item in typed arrays, by number, not in an object per row: a job of
 * millions of rows holds a few bytes per row besides the map from custom_id to item and the open items not admitted
 * yet (the engine hands them all over before the first `next`).
 */
class GroupAdmissionBuilder {
  private readonly groups: GroupsConfig;
  private readonly alreadyFrom: ReadonlyMap<string, number> | undefined;
  private readonly byName = new Map<string, number>();
  private readonly list: Group[] = [];
  private readonly itemOf = new Map<string, number>();
  private readonly itemRow: number[] = [];
  private readonly itemCounted: number[] = [];
  private readonly rowGroup: number[] = [];
  private readonly rowCounted: number[] = [];

  constructor(groups: GroupsConfig, alreadyFrom: ReadonlyMap<string, number> | undefined) {
    this.groups = groups;
    this.alreadyFrom = alreadyFrom;
  }

  groupIndex(name: string): number {
    let index = this.byName.get(name);
    if (index === undefined) {
      const { groups } = this;
      index = this.list.length;
      this.list.push({
        name,
        target: groups.targets[name] ?? groups.targets['*'] ?? 0,
        already: (groups.already[name] ?? 0) + (this.alreadyFrom?.get(name) ?? 0),
        weight: groups.weights[name] ?? groups.weights['*'] ?? 1,
        valid: 0,
        invalid: 0,
        out: 0,
        waiting: new IndexQueue(),
        served: 0,
        skipped: 0,
      });
      this.byName.set(name, index);
    }
    return index;
  }

  addRow(manifestRow: ManifestRow): void {
    const group = this.groupIndex(manifestRow.group ?? '');
    const row = this.rowGroup.length;
    let counted = 0;
    let items = 0;
    for (const [name, entry] of Object.entries(manifestRow.prompts)) {
      if (!Array.isArray(entry)) continue;
      const counts = this.groups.count_prompt === undefined || this.groups.count_prompt === name;
      for (const id of entry) {
        this.itemOf.set(id, this.itemRow.length);
        this.itemRow.push(row);
        this.itemCounted.push(counts ? COUNTED : 0);
        items += 1;
        if (counts) counted += 1;
      }
    }
    if (items === 0) return;
    this.rowGroup.push(group);
    this.rowCounted.push(counted);
  }

  async storedFigures(items: AsyncIterable<StoredGroupItem>): Promise<GroupFigures[]> {
    const { itemOf, list } = this;
    const rowUnsettled = Uint32Array.from(this.rowCounted);
    const rowFlags = new Uint8Array(this.rowGroup.length);
    for await (const item of items) {
      const index = itemOf.get(item.customId);
      if (index === undefined) continue;
      const row = this.itemRow[index] ?? 0;
      if (item.state === 'succeeded' || item.state === 'failed') {
        rowFlags[row] = (rowFlags[row] ?? 0) | SETTLED_BEFORE;
        if (this.itemCounted[index] !== COUNTED) continue;
        rowUnsettled[row] = (rowUnsettled[row] ?? 1) - 1;
        if (!countsAsValid(item.state, item.check?.status ?? null)) rowFlags[row] = (rowFlags[row] ?? 0) | FAILED;
      } else if (item.state === 'cancelled' && item.missingReason === SKIPPED_REASON) {
        rowFlags[row] = (rowFlags[row] ?? 0) | SKIPPED_ROW;
      } else if (item.state === 'in_flight' || item.attempts > 0 || item.reasks > 0) {
        rowFlags[row] = (rowFlags[row] ?? 0) | SENT_BEFORE;
      }
    }
    const waiting = new Map<Group, number>();
    for (let row = 0; row < this.rowGroup.length; row++) {
      const group = list[this.rowGroup[row] ?? 0] as Group;
      const flags = rowFlags[row] ?? 0;
      const counted = this.rowCounted[row] ?? 0;
      if (counted > 0 && rowUnsettled[row] === 0) {
        if ((flags & FAILED) === 0) group.valid += 1;
        else group.invalid += 1;
      } else if ((flags & SKIPPED_ROW) !== 0) group.skipped += 1;
      else if (counted === 0) continue;
      else if ((flags & (SETTLED_BEFORE | SENT_BEFORE)) !== 0) group.out += 1;
      else waiting.set(group, (waiting.get(group) ?? 0) + 1);
    }
    return list.map((group) => groupFigures(group, waiting.get(group) ?? 0));
  }

  build(): GroupAdmission {
    const { groups, list, itemOf } = this;
    const overshoot = groups.overshoot;
    const itemRow = Uint32Array.from(this.itemRow);
    const itemFlags = Uint8Array.from(this.itemCounted);
    const rowGroup = Uint32Array.from(this.rowGroup);
    const rowCounted = Uint32Array.from(this.rowCounted);
    /** Counted items of each row not settled yet. */
    const rowUnsettled = Uint32Array.from(this.rowCounted);
    const rowFlags = new Uint8Array(rowGroup.length);
    /** Each row's open items until it is admitted. */
    const rowOpen: (OpenItem[] | undefined)[] = [];
    const started = new IndexQueue();
    /** Rows with open items, in input order, until the first `next` sorts them into started and waiting. */
    let opened: number[] | undefined = [];
    let wake: (() => void) | undefined;
    let woken: Promise<void> | undefined;

    const groupOfRow = (row: number): Group => list[rowGroup[row] ?? 0] as Group;
    /** Marks a counted answer settled; its row when that decided it. */
    const settle = (outcome: ItemOutcome): number | undefined => {
      const item = itemOf.get(outcome.customId);
      if (item === undefined) return undefined;
      const flags = itemFlags[item] ?? 0;
      if ((flags & COUNTED) === 0 || (flags & SETTLED) !== 0) return undefined;
      itemFlags[item] = flags | SETTLED;
      const row = itemRow[item] ?? 0;
      if (!countsAsValid(outcome.state, outcome.checkStatus)) rowFlags[row] = (rowFlags[row] ?? 0) | FAILED;
      const left = (rowUnsettled[row] ?? 1) - 1;
      rowUnsettled[row] = left;
      return left === 0 ? row : undefined;
    };
    const decide = (row: number): void => {
      const group = groupOfRow(row);
      const flags = rowFlags[row] ?? 0;
      if ((flags & OUT) !== 0) group.out -= 1;
      rowFlags[row] = flags & ~OUT;
      // A row with no counted answer (its count_prompt skipped by `when`) never counts.
      if ((flags & FAILED) === 0 && (rowCounted[row] ?? 0) > 0) group.valid += 1;
      else group.invalid += 1;
    };
    const passRate = passRateOf;
    const need = (group: Group): number => group.target - group.valid - group.already - group.out;
    const admissible = (group: Group): boolean => {
      if (group.waiting.size === 0) return false;
      if (group.target === 0) return true;
      const have = group.valid + group.already;
      if (have + group.out >= group.target + overshoot) return false;
      // The pass rate lets more rows out than the need alone when answers often fail, within the overshoot.
      const rate = Math.max(passRate(group) ?? 1, 0.05);
      return have + group.out * rate < group.target;
    };
    const pick = (): Group | undefined => {
      let best: Group | undefined;
      for (const group of list) {
        if (!admissible(group)) continue;
        if (best === undefined) best = group;
        else if (groups.order === 'need') {
          const [a, b] = [group.target === 0 ? -Infinity : need(group), best.target === 0 ? -Infinity : need(best)];
          if (a > b) best = group;
        } else if (group.served / group.weight < best.served / best.weight) best = group;
      }
      return best;
    };
    const admit = (row: number): readonly OpenItem[] => {
      const group = groupOfRow(row);
      if ((rowUnsettled[row] ?? 0) > 0) {
        rowFlags[row] = (rowFlags[row] ?? 0) | OUT;
        group.out += 1;
      }
      group.served += 1;
      const items = rowOpen[row] ?? [];
      rowOpen[row] = undefined;
      return items;
    };

    return {
      groupOf: (customId) => {
        const item = itemOf.get(customId);
        return item === undefined ? undefined : groupOfRow(itemRow[item] ?? 0).name;
      },
      learn: (outcome) => {
        const item = itemOf.get(outcome.customId);
        if (item !== undefined) {
          const row = itemRow[item] ?? 0;
          rowFlags[row] = (rowFlags[row] ?? 0) | SETTLED_BEFORE;
        }
        const decided = settle(outcome);
        if (decided !== undefined) decide(decided);
      },
      add: (item: OpenItem, sent?: boolean) => {
        const index = itemOf.get(item.customId);
        if (index === undefined) return;
        const row = itemRow[index] ?? 0;
        let open = rowOpen[row];
        if (open === undefined) {
          open = [];
          rowOpen[row] = open;
          opened?.push(row);
        }
        open.push(item);
        if (sent === true || wasSent(item)) rowFlags[row] = (rowFlags[row] ?? 0) | SENT_BEFORE;
      },
      next: (): AdmissionStep => {
        if (opened !== undefined) {
          // A row an earlier run started (an answer settled, or a request sent) goes out first.
          for (const row of opened) {
            if (((rowFlags[row] ?? 0) & (SETTLED_BEFORE | SENT_BEFORE)) !== 0) started.push(row);
            else groupOfRow(row).waiting.push(row);
          }
          opened = undefined;
        }
        const first = started.take();
        if (first !== undefined) return admit(first);
        const group = pick();
        const row = group?.waiting.take();
        if (row !== undefined) return admit(row);
        for (const each of list) if (each.out > 0) return 'wait';
        return 'done';
      },
      settled: (outcome) => {
        const row = settle(outcome);
        if (row !== undefined) decide(row);
        const resolve = wake;
        wake = undefined;
        woken = undefined;
        resolve?.();
      },
      skippable: () => {
        const items: OpenItem[] = [];
        for (const group of list) {
          // Valid answers only grow: a group at its target never needs another row.
          if (group.target === 0 || group.valid + group.already < group.target) continue;
          for (let row = group.waiting.take(); row !== undefined; row = group.waiting.take()) {
            items.push(...(rowOpen[row] ?? []));
            rowOpen[row] = undefined;
            group.skipped += 1;
          }
        }
        return items;
      },
      changed: () => {
        woken ??= new Promise<void>((resolve) => {
          wake = resolve;
        });
        return woken;
      },
      figures: () => list.map((group) => groupFigures(group, group.waiting.size)),
    };
  }
}

/** An answer that lets its row count: succeeded, and valid or repaired when it was checked. */
function countsAsValid(state: string, checkStatus: string | null): boolean {
  return state === 'succeeded' && (checkStatus === null || isCovered(checkStatus));
}

/** A group's figures, `waiting` being its rows not admitted yet. */
function groupFigures(group: Group, waiting: number): GroupFigures {
  const have = group.valid + group.already;
  const left = waiting + group.out > 0;
  const reached = group.target > 0 && have >= group.target;
  const state = reached ? 'reached' : left ? 'open' : group.target > 0 ? 'short' : 'done';
  return {
    group: group.name,
    target: group.target,
    already: group.already,
    valid: group.valid,
    inFlight: group.out,
    decided: group.valid + group.invalid,
    waiting: waiting + group.skipped,
    passRate: passRateOf(group),
    state,
    shortfall: state === 'short' ? group.target - have : 0,
  };
}

function passRateOf(group: Group): number | null {
  const decided = group.valid + group.invalid;
  return decided === 0 ? null : group.valid / decided;
}

/** Whether an open item was sent by an earlier run (a retry waiting, a re-ask, a request lost to a kill). */
function wasSent(item: OpenItem): boolean {
  return item.attempts > 0 || (item.reasks ?? 0) > 0;
}

/** The figures as report.json and `--json` show them (snake_case, like the files around them). */
export function toGroupReportLines(figures: readonly GroupFigures[]): GroupReportLine[] {
  return figures.map((figure) => ({
    group: figure.group,
    target: figure.target,
    already: figure.already,
    valid: figure.valid,
    in_flight: figure.inFlight,
    decided: figure.decided,
    skipped_rows: figure.waiting,
    pass_rate: figure.passRate === null ? null : Math.round(figure.passRate * 1000) / 1000,
    state: figure.state,
    shortfall: figure.shortfall,
  }));
}
