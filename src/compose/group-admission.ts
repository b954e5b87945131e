import type { GroupsConfig } from '../config/config-schema.ts';
import type { AdmissionPolicy, AdmissionStep, ItemOutcome } from '../engine/admission-policy.ts';
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
  /** Rows left unsent (skipped once the run completes: `target_reached`). */
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

interface Row {
  group: string;
  /** The custom_ids whose answers decide whether the row counts. */
  counted: readonly string[];
  /** Counted ids not settled yet. */
  unsettled: Set<string>;
  /** Counted ids settled not valid. */
  failed: boolean;
  /** Items of the row settled before this run (any prompt). */
  settledBefore: number;
  /** An item of the row is out already (batch mode: in a remote batch an earlier run submitted). */
  sentBefore: boolean;
  open: OpenItem[];
  /** Admitted, its counted answers not all in yet. */
  out: boolean;
}

/** Rows in admission order, taken from the front without moving the rest (a large array's shift copies it). */
class RowQueue {
  private readonly rows: Row[] = [];
  private head = 0;

  get size(): number {
    return this.rows.length - this.head;
  }

  push(row: Row): void {
    this.rows.push(row);
  }

  take(): Row | undefined {
    if (this.head === this.rows.length) return undefined;
    const row = this.rows[this.head];
    this.head += 1;
    return row;
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
  waiting: RowQueue;
  /** Units admitted in this run, for the round robin. */
  served: number;
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
  const rowOf = new Map<string, Row>();
  const byName = new Map<string, Group>();
  const started = new RowQueue();
  /** Rows with open items, in input order, until the first `next` sorts them into started and waiting. */
  let opened: Row[] | undefined = [];
  const groupNamed = (name: string): Group => {
    let group = byName.get(name);
    if (group === undefined) {
      group = {
        name,
        target: groups.targets[name] ?? groups.targets['*'] ?? 0,
        already: (groups.already[name] ?? 0) + (alreadyFrom?.get(name) ?? 0),
        weight: groups.weights[name] ?? groups.weights['*'] ?? 1,
        valid: 0,
        invalid: 0,
        out: 0,
        waiting: new RowQueue(),
        served: 0,
      };
      byName.set(name, group);
    }
    return group;
  };
  for (const manifestRow of manifestRows) {
    const group = groupNamed(manifestRow.group ?? '');
    const counted: string[] = [];
    const all: string[] = [];
    for (const [name, entry] of Object.entries(manifestRow.prompts)) {
      if (!Array.isArray(entry)) continue;
      all.push(...entry);
      if (groups.count_prompt === undefined || groups.count_prompt === name) counted.push(...entry);
    }
    if (all.length === 0) continue;
    const row: Row = {
      group: group.name,
      counted,
      unsettled: new Set(counted),
      failed: false,
      settledBefore: 0,
      sentBefore: false,
      open: [],
      out: false,
    };
    for (const id of all) rowOf.set(id, row);
  }
  let wake: (() => void) | undefined;
  let woken: Promise<void> | undefined;

  /** Marks a counted answer settled; true when that decided its row. */
  const settle = (outcome: ItemOutcome): Row | undefined => {
    const row = rowOf.get(outcome.customId);
    if (row === undefined || !row.unsettled.delete(outcome.customId)) return undefined;
    if (outcome.state !== 'succeeded' || (outcome.checkStatus !== null && !isCovered(outcome.checkStatus))) {
      row.failed = true;
    }
    return row.unsettled.size === 0 ? row : undefined;
  };
  const decide = (row: Row): void => {
    const group = groupNamed(row.group);
    if (row.out) group.out -= 1;
    row.out = false;
    // A row with no counted answer (its count_prompt skipped by `when`) never counts.
    const valid = !row.failed && row.counted.length > 0;
    if (valid) group.valid += 1;
    else group.invalid += 1;
  };
  const passRate = (group: Group): number | null => {
    const decided = group.valid + group.invalid;
    return decided === 0 ? null : group.valid / decided;
  };
  const need = (group: Group): number => group.target - group.valid - group.already - group.out;
  const admissible = (group: Group): boolean => {
    if (group.waiting.size === 0) return false;
    if (group.target === 0) return true;
    const have = group.valid + group.already;
    if (have + group.out >= group.target + groups.overshoot) return false;
    // The pass rate lets more rows out than the need alone when answers often fail, within the overshoot.
    const rate = Math.max(passRate(group) ?? 1, 0.05);
    return have + group.out * rate < group.target;
  };
  const pick = (): Group | undefined => {
    let best: Group | undefined;
    for (const group of byName.values()) {
      if (!admissible(group)) continue;
      if (best === undefined) best = group;
      else if (groups.order === 'need') {
        const [a, b] = [group.target === 0 ? -Infinity : need(group), best.target === 0 ? -Infinity : need(best)];
        if (a > b) best = group;
      } else if (group.served / group.weight < best.served / best.weight) best = group;
    }
    return best;
  };
  const admit = (row: Row): readonly OpenItem[] => {
    const group = groupNamed(row.group);
    if (row.unsettled.size > 0) {
      row.out = true;
      group.out += 1;
    }
    group.served += 1;
    const items = row.open;
    row.open = [];
    return items;
  };

  return {
    groupOf: (customId) => rowOf.get(customId)?.group,
    learn: (outcome) => {
      const owner = rowOf.get(outcome.customId);
      if (owner !== undefined) owner.settledBefore += 1;
      const row = settle(outcome);
      if (row !== undefined) decide(row);
    },
    add: (item, sent) => {
      const row = rowOf.get(item.customId);
      if (row === undefined) return;
      if (row.open.length === 0) opened?.push(row);
      row.open.push(item);
      if (sent === true) row.sentBefore = true;
    },
    next: (): AdmissionStep => {
      if (opened !== undefined) {
        // A row an earlier run started (an answer settled, or a request sent) goes out first.
        for (const row of opened) {
          if (row.settledBefore > 0 || row.sentBefore || row.open.some(wasSent)) started.push(row);
          else groupNamed(row.group).waiting.push(row);
        }
        opened = undefined;
      }
      const first = started.take();
      if (first !== undefined) return admit(first);
      const group = pick();
      if (group !== undefined) return admit(group.waiting.take() as Row);
      for (const each of byName.values()) if (each.out > 0) return 'wait';
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
    changed: () => {
      woken ??= new Promise<void>((resolve) => {
        wake = resolve;
      });
      return woken;
    },
    figures: () =>
      [...byName.values()].map((group) => {
        const have = group.valid + group.already;
        const left = group.waiting.size + group.out > 0;
        const reached = group.target > 0 && have >= group.target;
        const state = reached ? 'reached' : left ? 'open' : group.target > 0 ? 'short' : 'done';
        return {
          group: group.name,
          target: group.target,
          already: group.already,
          valid: group.valid,
          inFlight: group.out,
          decided: group.valid + group.invalid,
          waiting: group.waiting.size,
          passRate: passRate(group),
          state,
          shortfall: state === 'short' ? group.target - have : 0,
        };
      }),
  };
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
