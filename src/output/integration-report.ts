import type { EnrichPrompt } from './answer-record.ts';
import { writeFileAtomically } from './atomic-write.ts';
import { isCovered, SLOT_STATUSES, type JoinedSlot, type SlotStatus } from './join-prompt-answers.ts';

/**
 * integration_report.json: how complete the enriched dataset is, per prompt and overall. Counts are of answers
 * wanted, one per (row, prompt, sample). Coverage is the share of answers that should exist (everything but
 * `skipped`) that are valid or repaired (docs/decisions/0018-join-back.md); below `integrate.min_coverage` a
 * prompt falls short and the job exits 3.
 */
export interface IntegrationReport {
  version: 1;
  rows: number;
  /** `integrate.min_coverage` the prompts were held to. */
  min_coverage: number;
  /** Prompts whose coverage is below `min_coverage`, in the prompts' order. */
  short_of_coverage: string[];
  prompts: Record<string, PromptIntegration>;
  overall: IntegrationCounts;
  /** Rows with at least one wanted answer that is not valid or repaired; their keys are in the file, one a line. */
  rows_without_valid: { count: number; file: string | null };
  files: { enriched: string | null; report: string | null };
  /** What each sink was sent by this walk and before it (decision 0026); absent for a job without sinks. */
  sinks?: SinkReportEntry[];
  /** A data job with groups (docs/decisions/0024): its rows per group, in the order groups first appear. */
  groups?: IntegrationGroup[];
}

/** One group of a data job with `groups:` in integration_report.json, counted from the enriched rows. */
export interface IntegrationGroup {
  group: string;
  /** `groups.targets` (valid rows wanted; 0: none) and `groups.already`. */
  target: number;
  already: number;
  rows: number;
  /** Rows that count: every slot of `count_prompt` (of every prompt that applies, when unset) valid or repaired. */
  valid_rows: number;
  /** Rows not sent: the group had reached its target (`target_reached`). */
  skipped_rows: number;
  /** Rows with a wanted answer still missing (never sent, or the run stopped). */
  missing_rows: number;
  /** `reached`, `short` (below target, every row sent), `open` (below target, rows left), `done` (no target). */
  state: 'reached' | 'short' | 'open' | 'done';
  /** target − (valid_rows + already) when short, else 0. */
  shortfall: number;
}

/** What the tally needs to count rows per group (`groups:` of the job's config). */
export interface GroupTallyOptions {
  countPrompt?: string | undefined;
  targets: Readonly<Record<string, number>>;
  already: Readonly<Record<string, number>>;
}

/** One sink in the integration report. */
export interface SinkReportEntry {
  name: string;
  /** Rows the sink holds from this job (every done batch, earlier runs' included). */
  rows_written: number;
  batches: number;
  /** Writes retried because the sink was unavailable, in this walk. */
  retries: number;
  /** Rows before this index are in the sink. */
  done_through_row: number;
}

export interface IntegrationCounts {
  /** Source rows (every row, `skipped` ones included). */
  rows: number;
  /** Requests prepared: custom_ids (rows not skipped nor rejected, times samples). */
  requests: number;
  /** One count per state of a (row, sample); they add up to rows × samples. */
  answers: Record<SlotStatus, number>;
  /** Answers that should exist: all but `skipped`. */
  expected: number;
  /** valid + repaired. */
  covered: number;
  /** covered / expected, rounded to 6 places; null when no answer was wanted. */
  coverage: number | null;
  /** Validation errors of answers that are not valid, grouped by path (array indices as `*`) and message. */
  top_errors: { path: string; message: string; count: number }[];
  tokens: { input: number; output: number };
  /** USD of every attempt of every answer; null when none had a price. */
  cost_usd: number | null;
  /** Answers with tokens but no price (add the model under `prices`). */
  unpriced_answers: number;
  reasks: {
    /** Covered answers by the re-asks they took: `{"0": 980, "1": 15, "2": 3}`. */
    valid_after: Record<string, number>;
    /** Re-ask requests sent. */
    requests: number;
    tokens: { input: number; output: number };
    cost_usd: number | null;
  };
}

export interface PromptIntegration extends IntegrationCounts {
  samples: number;
}

/** Validation errors kept per report part; the rest are counted under one `(other errors)` line. */
const TOP_ERRORS = 10;
/** Distinct (path, message) pairs tallied per part, so a run with ever-new messages keeps a bounded heap. */
const DISTINCT_ERRORS_MAX = 10_000;
const OTHER_ERRORS = '(other errors)';

class CountsTally {
  rows = 0;
  requests = 0;
  readonly answers = Object.fromEntries(SLOT_STATUSES.map((status) => [status, 0])) as Record<SlotStatus, number>;
  readonly errors = new Map<string, number>();
  inputTokens = 0;
  outputTokens = 0;
  cost: number | null = null;
  unpriced = 0;
  readonly validAfter = new Map<number, number>();
  reaskRequests = 0;
  reaskInput = 0;
  reaskOutput = 0;
  reaskCost: number | null = null;

  addSlot(slot: JoinedSlot): void {
    this.answers[slot.status] += 1;
    const answer = slot.answer;
    if (answer !== undefined) {
      this.inputTokens += answer.usage?.inputTokens ?? 0;
      this.outputTokens += answer.usage?.outputTokens ?? 0;
      if (typeof answer.costUsd === 'number') this.cost = (this.cost ?? 0) + answer.costUsd;
      else if (answer.usage !== undefined) this.unpriced += 1;
      this.reaskRequests += answer.reasks;
      this.reaskInput += answer.reaskUsage?.inputTokens ?? 0;
      this.reaskOutput += answer.reaskUsage?.outputTokens ?? 0;
      if (typeof answer.reaskCostUsd === 'number') this.reaskCost = (this.reaskCost ?? 0) + answer.reaskCostUsd;
      if (isCovered(slot.status)) this.validAfter.set(answer.reasks, (this.validAfter.get(answer.reasks) ?? 0) + 1);
      if (slot.status !== 'valid' && answer.check !== undefined) {
        for (const issue of answer.check.issues) this.addError(issue.path, issue.message);
      }
    }
  }

  private addError(path: string, message: string): void {
    const key = `${path.replace(/\/\d+(?=\/|$)/g, '/*')}\n${message}`;
    const known = this.errors.get(key);
    if (known !== undefined) this.errors.set(key, known + 1);
    else if (this.errors.size < DISTINCT_ERRORS_MAX) this.errors.set(key, 1);
    else this.errors.set(`\n${OTHER_ERRORS}`, (this.errors.get(`\n${OTHER_ERRORS}`) ?? 0) + 1);
  }

  merge(other: CountsTally): void {
    this.requests += other.requests;
    for (const status of SLOT_STATUSES) this.answers[status] += other.answers[status];
    for (const [key, count] of other.errors) this.errors.set(key, (this.errors.get(key) ?? 0) + count);
    this.inputTokens += other.inputTokens;
    this.outputTokens += other.outputTokens;
    if (other.cost !== null) this.cost = (this.cost ?? 0) + other.cost;
    this.unpriced += other.unpriced;
    for (const [reasks, count] of other.validAfter)
      this.validAfter.set(reasks, (this.validAfter.get(reasks) ?? 0) + count);
    this.reaskRequests += other.reaskRequests;
    this.reaskInput += other.reaskInput;
    this.reaskOutput += other.reaskOutput;
    if (other.reaskCost !== null) this.reaskCost = (this.reaskCost ?? 0) + other.reaskCost;
  }

  toCounts(): IntegrationCounts {
    const expected = SLOT_STATUSES.reduce((sum, status) => sum + (status === 'skipped' ? 0 : this.answers[status]), 0);
    const covered = this.answers.valid + this.answers.repaired;
    const validAfter: Record<string, number> = {};
    for (const reasks of [...this.validAfter.keys()].sort((a, b) => a - b)) {
      validAfter[String(reasks)] = this.validAfter.get(reasks) ?? 0;
    }
    return {
      rows: this.rows,
      requests: this.requests,
      answers: { ...this.answers },
      expected,
      covered,
      coverage: expected === 0 ? null : round(covered / expected),
      top_errors: topErrors(this.errors),
      tokens: { input: this.inputTokens, output: this.outputTokens },
      cost_usd: this.cost === null ? null : round(this.cost),
      unpriced_answers: this.unpriced,
      reasks: {
        valid_after: validAfter,
        requests: this.reaskRequests,
        tokens: { input: this.reaskInput, output: this.reaskOutput },
        cost_usd: this.reaskCost === null ? null : round(this.reaskCost),
      },
    };
  }
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

function topErrors(errors: ReadonlyMap<string, number>): IntegrationCounts['top_errors'] {
  return [...errors]
    .map(([key, count]) => {
      const cut = key.indexOf('\n');
      return { path: key.slice(0, cut), message: key.slice(cut + 1), count };
    })
    .sort((a, b) => b.count - a.count || compare(a.path, b.path) || compare(a.message, b.message))
    .slice(0, TOP_ERRORS);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The report's figures, gathered row by row while the enriched dataset is written (one pass, a bounded heap: counts,
 * and at most `DISTINCT_ERRORS_MAX` error kinds per prompt).
 */
export class IntegrationTally {
  private readonly prompts: readonly EnrichPrompt[];
  private readonly perPrompt: CountsTally[];
  rows = 0;
  rowsWithoutValid = 0;

  private readonly groupOptions: GroupTallyOptions | undefined;
  private readonly groups = new Map<string, { rows: number; valid: number; skipped: number; missing: number }>();

  constructor(prompts: readonly EnrichPrompt[], groups?: GroupTallyOptions) {
    this.prompts = prompts;
    this.perPrompt = prompts.map(() => new CountsTally());
    this.groupOptions = groups;
  }

  /**
   * Adds one row's slots (per prompt, per sample, in the prompts' order), in its group when the job has groups; true
   * when it lacks a wanted valid answer.
   */
  addRow(slots: readonly (readonly JoinedSlot[])[], group?: string): boolean {
    if (this.groupOptions !== undefined) this.addToGroup(slots, group ?? '', this.groupOptions);
    this.rows += 1;
    let withoutValid = false;
    slots.forEach((promptSlots, promptNo) => {
      const tally = this.perPrompt[promptNo];
      if (tally === undefined) return;
      tally.rows += 1;
      for (const slot of promptSlots) {
        tally.addSlot(slot);
        // Every slot but a skipped or rejected one had a custom_id: a request prepared.
        if (slot.status !== 'skipped' && slot.status !== 'rejected') tally.requests += 1;
        if (slot.status !== 'skipped' && !isCovered(slot.status)) withoutValid = true;
      }
    });
    if (withoutValid) this.rowsWithoutValid += 1;
    return withoutValid;
  }

  private addToGroup(slots: readonly (readonly JoinedSlot[])[], name: string, options: GroupTallyOptions): void {
    const group = this.groups.get(name) ?? { rows: 0, valid: 0, skipped: 0, missing: 0 };
    this.groups.set(name, group);
    group.rows += 1;
    const counted = slots.flatMap((promptSlots, promptNo) =>
      options.countPrompt === undefined || this.prompts[promptNo]?.name === options.countPrompt
        ? promptSlots.filter((slot) => slot.status !== 'skipped' || slot.error === 'target_reached')
        : [],
    );
    const all = slots.flat();
    if (counted.length > 0 && counted.every((slot) => isCovered(slot.status))) group.valid += 1;
    else if (all.some((slot) => slot.error === 'target_reached')) group.skipped += 1;
    else if (all.some((slot) => slot.status === 'missing')) group.missing += 1;
  }

  private groupLines(options: GroupTallyOptions): IntegrationGroup[] {
    return [...this.groups].map(([name, group]) => {
      const target = options.targets[name] ?? options.targets['*'] ?? 0;
      const already = options.already[name] ?? 0;
      const have = group.valid + already;
      const state =
        target === 0 ? 'done' : have >= target ? 'reached' : group.skipped + group.missing > 0 ? 'open' : 'short';
      return {
        group: name,
        target,
        already,
        rows: group.rows,
        valid_rows: group.valid,
        skipped_rows: group.skipped,
        missing_rows: group.missing,
        state,
        shortfall: state === 'short' ? target - have : 0,
      };
    });
  }

  /** The report: per prompt, overall, and which prompts fall short of `minCoverage`. */
  toReport(options: IntegrationReportOptions): IntegrationReport {
    const prompts: Record<string, PromptIntegration> = {};
    const overall = new CountsTally();
    overall.rows = this.rows;
    this.prompts.forEach((prompt, promptNo) => {
      const tally = this.perPrompt[promptNo] ?? new CountsTally();
      prompts[prompt.name] = { samples: prompt.samples, ...tally.toCounts() };
      overall.merge(tally);
    });
    const report: IntegrationReport = {
      version: 1,
      rows: this.rows,
      min_coverage: options.minCoverage,
      short_of_coverage: [],
      prompts,
      overall: overall.toCounts(),
      rows_without_valid: { count: this.rowsWithoutValid, file: options.rowsWithoutValidFile ?? null },
      files: { enriched: options.enrichedFile ?? null, report: options.reportFile ?? null },
    };
    // A job with groups is judged by its targets, not by coverage (docs/decisions/0024).
    if (this.groupOptions === undefined) {
      report.short_of_coverage = findCoverageShortfalls(report, options.minCoverage).map((short) => short.prompt);
    } else report.groups = this.groupLines(this.groupOptions);
    return report;
  }
}

export interface IntegrationReportOptions {
  /** `integrate.min_coverage`, from 0 to 1. */
  minCoverage: number;
  enrichedFile?: string;
  reportFile?: string;
  rowsWithoutValidFile?: string;
}

export interface CoverageShortfall {
  prompt: string;
  coverage: number;
  covered: number;
  expected: number;
}

/** The prompts whose coverage is below `minCoverage` (a prompt no row wanted an answer of never falls short). */
export function findCoverageShortfalls(
  report: Pick<IntegrationReport, 'prompts'>,
  minCoverage: number,
): CoverageShortfall[] {
  const short: CoverageShortfall[] = [];
  for (const [prompt, counts] of Object.entries(report.prompts)) {
    if (counts.expected === 0) continue;
    // Compared as counts, not rounded shares: 199,999 of 200,000 is short of 1.0.
    if (counts.covered < counts.expected * minCoverage) {
      short.push({
        prompt,
        coverage: counts.covered / counts.expected,
        covered: counts.covered,
        expected: counts.expected,
      });
    }
  }
  return short;
}

/** Writes integration_report.json atomically (two-space JSON, keys in a fixed order: byte-identical re-runs). */
export async function writeIntegrationReport(path: string, report: IntegrationReport): Promise<void> {
  await writeFileAtomically(path, `${JSON.stringify(report, null, 2)}\n`);
}

const number = (value: number): string => value.toLocaleString('en-US');
const percent = (share: number | null): string =>
  share === null ? 'n/a' : `${(Math.floor(share * 10_000) / 100).toFixed(2)}%`;
const usd = (value: number | null): string => (value === null ? 'unpriced' : `$${value.toFixed(4)}`);

/** `  group korean: 60 valid rows of 60 (5 already) reached, 40 rows skipped (target reached)`: the per-group table. */
function describeIntegrationGroup(group: IntegrationGroup): string {
  const target = group.target === 0 ? 'no target' : `of ${number(group.target)}`;
  const already = group.already === 0 ? '' : ` (${number(group.already)} already)`;
  const short = group.state === 'short' ? ` by ${number(group.shortfall)}` : '';
  const skipped = group.skipped_rows === 0 ? '' : `, ${number(group.skipped_rows)} rows skipped (target reached)`;
  const missing = group.missing_rows === 0 ? '' : `, ${number(group.missing_rows)} rows missing`;
  const name = group.group === '' ? '(none)' : group.group;
  return `  group ${name}: ${number(group.valid_rows + group.already)} valid rows ${target}${already} ${group.state}${short}${skipped}${missing}`;
}

/** The short summary printed when a data job ends (pure: lines, no colour, no I/O); a line per group and per sink. */
export function formatIntegrationSummary(report: IntegrationReport): string[] {
  const names = Object.keys(report.prompts);
  const width = Math.max(7, ...names.map((name) => name.length));
  const lines = [
    `Enriched ${number(report.rows)} rows × ${String(names.length)} prompts${report.files.enriched === null ? '' : ` -> ${report.files.enriched}`}`,
  ];
  const describe = (name: string, counts: IntegrationCounts): string => {
    const shown = SLOT_STATUSES.filter((status) => status === 'valid' || counts.answers[status] > 0);
    const parts = shown.map((status) => `${status} ${number(counts.answers[status])}`);
    return `  ${name.padEnd(width)}  coverage ${percent(counts.coverage).padStart(7)}  ${parts.join(', ')}`;
  };
  for (const name of names) {
    const counts = report.prompts[name];
    if (counts !== undefined) lines.push(describe(name, counts));
  }
  lines.push(describe('overall', report.overall));
  const { overall } = report;
  const afterReasks = Object.entries(overall.reasks.valid_after)
    .filter(([reasks]) => reasks !== '0')
    .map(([reasks, count]) => `${number(count)} after ${reasks}`);
  lines.push(
    `  tokens ${number(overall.tokens.input)} in / ${number(overall.tokens.output)} out, cost ${usd(overall.cost_usd)}; ` +
      // No re-ask has no cost to price: "unpriced" would read as a model without a price.
      `re-asks ${number(overall.reasks.requests)}${afterReasks.length > 0 ? ` (valid ${afterReasks.join(', ')})` : ''}` +
      (overall.reasks.requests === 0 ? '' : `, cost ${usd(overall.reasks.cost_usd)}`),
  );
  const topError = overall.top_errors[0];
  if (topError !== undefined) {
    lines.push(
      `  most frequent error: ${topError.path === '' ? '/' : topError.path}: ${topError.message} (${number(topError.count)}×)`,
    );
  }
  lines.push(...(report.groups ?? []).map(describeIntegrationGroup));
  for (const sink of report.sinks ?? []) {
    lines.push(
      `  sink ${sink.name}: ${number(sink.rows_written)} rows in ${number(sink.batches)} batches` +
        (sink.retries > 0 ? `, ${number(sink.retries)} retries` : ''),
    );
  }
  if (report.rows_without_valid.count > 0) {
    const file = report.rows_without_valid.file === null ? '' : `: ${report.rows_without_valid.file}`;
    lines.push(`  ${number(report.rows_without_valid.count)} rows without a valid answer${file}`);
  }
  if (report.short_of_coverage.length > 0) {
    const short = report.short_of_coverage
      .map((name) => `${name} (${percent(report.prompts[name]?.coverage ?? null)})`)
      .join(', ');
    lines.push(`  below integrate.min_coverage ${percent(report.min_coverage)}: ${short}`);
  }
  return lines;
}
