import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Job } from '../../core/job.ts';
import type { GroupReportLine, JobReport } from '../../output/build-report.ts';
import { INTEGRATION_FILES, RESULT_FILES } from '../../output/result-file-names.ts';
import { resolveEnrichedTarget, type EnrichedFormat } from '../../output/write-enriched.ts';
import { answerModel } from '../../core/item.ts';
import { effectiveState } from '../../engine/lease.ts';
import { ENDED_JOB_STATES, ITEM_STATES, JOB_STATES, type ItemState, type JobState } from '../../core/states.ts';
import { createLineReader } from '../../input/read-line-at.ts';
import { priceJobTokens } from '../../output/job-cost.ts';
import type { HistoryBucket, ItemFilter, ItemSummary, JobActivity, ReviewStats, Store } from '../../store/store.ts';
import type { WorkSliceStore } from '../../store/work-slice-store.ts';
import { registerSecret } from '../../util/redact.ts';
import { dataJobRecordOf } from '../data-job-record.ts';
import { answersAreRows } from '../status/answers-are-rows.ts';
import { readJobStatus, type JobStatus } from '../status/job-status.ts';
import type { PromptStatus } from '../status/prompt-status.ts';
import { ANSWER_STATUSES } from '../../validate/answer-check.ts';

/**
 * What the dashboard shows (docs/decisions/0038), read from the store as `status` reads it: the same `JobStatus`,
 * plus what a page needs beside it (cost, failures by cause, an item whole). Nothing here writes.
 */
export type DashboardStore = Store & Partial<Pick<WorkSliceStore, 'sliceCounts'>>;

/** A job as the jobs page lists it. */
export interface JobSummary {
  job_id: string;
  state: string;
  mode: 'realtime' | 'batch';
  provider: string;
  model: string | null;
  counts: JobStatus['counts'];
  /** Items finished (succeeded or failed), of `counts.total`. */
  done: number;
  input_fully_read: boolean;
  rate_rps: number;
  eta_s: number | null;
  /** Spent so far at the job's model and mode; null when the model has no price. */
  cost_usd: number | null;
  /** `limits.budget_usd`; 0 = none. */
  budget_usd: number;
  created_at: string;
  last_progress_age_s: number | null;
}

export interface JobPage {
  jobs: JobSummary[];
  /** Jobs that pass the filter, in all. */
  total: number;
}

/** A job as its page shows it: its status, summary, failures by cause and what the checks said. */
export interface JobView {
  summary: JobSummary;
  status: JobStatus;
  /** Failed attempts by cause (`http_429`, `timeout`, `http_500`, ...). */
  failures: Record<string, number>;
  attempts: number;
  tokens: { input: number; output: number };
  /** Answers by the status of their check; empty when nothing was checked. */
  checks: ReviewStats['byStatus'];
  /** A data job (`run DATA --prompts`): it has an enriched dataset, and answers to validate again. */
  data_job: boolean;
  /** What the page offers for download, by name (`/api/jobs/JOB/files/NAME`), and where each is. */
  files: Record<string, string>;
  /** Attempts per minute since the job began, and what they cost (the chart of its history). */
  history: HistoryPoint[];
  /** What the whole job should cost at the cost per item so far (null until an item is done, or unpriced). */
  forecast_usd: number | null;
  /**
   * The groups as the job's report.json has them once a run ended: valid rows against the target. The live `groups`
   * of the status count items (a row of two prompts is two); null while no report is there.
   */
  report_groups: GroupReportLine[] | null;
}

/** One minute of a job's history. */
export interface HistoryPoint {
  at: number;
  ok: number;
  failed: number;
  /** At the job's model and mode; null when unpriced. */
  cost_usd: number | null;
}

/** The history's grain: a point a minute, so hours of a job stay a few hundred points. */
export const HISTORY_BUCKET_MS = 60_000;

/** An item as the API lists it: the store's summary in the API's snake_case. */
export interface ItemJson {
  seq: number;
  custom_id: string;
  line_no: number;
  state: ItemState;
  attempts: number;
  reasks: number;
  status_code: number | null;
  error_code: string | null;
  check_status: string | null;
  group: string | null;
  prompt: string | null;
  /** When its outcome was committed (ISO), or null. */
  completed_at: string | null;
}

function toItemJson(item: ItemSummary): ItemJson {
  return {
    seq: item.seq,
    custom_id: item.customId,
    line_no: item.lineNo,
    state: item.state,
    attempts: item.attempts,
    reasks: item.reasks,
    status_code: item.statusCode,
    error_code: item.errorCode,
    check_status: item.checkStatus,
    group: item.group,
    prompt: item.prompt,
    completed_at: item.completedAt === null ? null : new Date(item.completedAt).toISOString(),
  };
}

export interface ItemListPage {
  items: ItemJson[];
  /** Where the next page starts (`after`), or null when this was the last. */
  next_after: number | null;
  /** Items that pass the filter, counted up to `ITEM_COUNT_CAP` (`total_capped` when there are more). */
  total: number;
  total_capped: boolean;
}

/** An item whole, for its side-by-side view. */
export interface ItemView {
  item: ItemJson & { missing_reason: string | null; request_id: string | null };
  /** The request line as sent (secrets in it shown as `***`), or null when it cannot be read any more. */
  request: string | null;
  /** Why the request is null (its input gone or changed), when it is. */
  request_unreadable: string | null;
  /** The raw answer, as the store keeps it (cut to `ANSWER_VIEW_BYTES`). */
  answer: string | null;
  answer_bytes: number;
  /** The value the check parsed from the answer, with its status and the issues found (JSON paths). */
  check: { status: string; value?: unknown; issues: { path: string; message: string }[] } | null;
  error: { code: string; message: string; status?: number; body?: string } | null;
  attempts: {
    attempt: number;
    started_at: string;
    latency_ms: number;
    status_code: number | null;
    outcome: string;
    input_tokens: number | null;
    output_tokens: number | null;
    reask: number | null;
    check_status: string | null;
  }[];
}

export const ITEM_COUNT_CAP = 100_000;
/** An answer is shown up to this many bytes (a page stays light whatever a model wrote). */
export const ANSWER_VIEW_BYTES = 256 * 1024;

export function jobSummary(
  job: Job,
  status: JobStatus,
  cost: { usd: number | null; model: string | null },
): JobSummary {
  const config = job.config;
  const limits = config['limits'] as { budget_usd?: unknown } | undefined;
  return {
    job_id: job.id,
    state: status.state,
    mode: config.mode === 'batch' ? 'batch' : 'realtime',
    provider: typeof config['provider'] === 'string' ? config['provider'] : 'openai',
    model: cost.model,
    counts: status.counts,
    // Items a group did not need (`target_reached`) are done too: nothing is left to send for them.
    done: status.counts.succeeded + status.counts.failed + (status.skipped ?? 0),
    input_fully_read: status.input_fully_read,
    rate_rps: status.rate_rps,
    eta_s: status.eta_s,
    cost_usd: cost.usd,
    budget_usd: typeof limits?.budget_usd === 'number' ? limits.budget_usd : 0,
    created_at: status.created_at,
    last_progress_age_s: status.last_progress_age_s,
  };
}

/** A job's history as read so far, and its answers of the last minute (each read's new ones, by when it was read). */
interface HistoryEntry {
  lastRow: number;
  buckets: Map<number, HistoryBucket>;
  reading: Promise<unknown>;
  recent: { at: number; ok: number }[];
  lastAt: number | null;
}

/** The rate's window, as `status` has it: answers over the last minute. */
const RECENT_MS = 60_000;

/**
 * The dashboard's reads of one store. It keeps the model each job's first answer named (what the provider billed, and
 * what the report prices, as `finalize-job.ts` does): a job whose requests name the model has none in its config.
 */
export class DashboardReads {
  private readonly store: DashboardStore;
  private readonly workspace: string;
  private readonly answeredModels = new Map<string, string>();
  /** Each job's history read so far: the ledger row read up to, and the minutes summed. */
  private readonly histories = new Map<string, HistoryEntry>();

  constructor(store: DashboardStore, workspace: string) {
    this.store = store;
    this.workspace = workspace;
  }

  /**
   * The jobs page: newest first, those in `state` only when given, `limit` from `offset`. Only the page's jobs have
   * their status read, so a store of thousands of jobs costs a page of them.
   */
  async jobs(page: { state?: string | undefined; offset: number; limit: number }, now: number): Promise<JobPage> {
    const jobs = (await this.store.listJobs()).sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
    // The state shown is the effective one: a job whose runner died is interrupted.
    const matching = page.state === undefined ? jobs : jobs.filter((job) => effectiveState(job, now) === page.state);
    const shown = matching.slice(page.offset, page.offset + page.limit);
    const summaries = await Promise.all(
      shown.map(async (job) => {
        const history = await this.history(job.id, now);
        const status = await this.status(job, now, history.activity);
        return jobSummary(job, status, await this.cost(job, historyTotals(history.buckets)));
      }),
    );
    return { jobs: summaries, total: matching.length };
  }

  /** The job page's figures. */
  async job(job: Job, now: number): Promise<JobView> {
    const jobId = job.id;
    const dataJob = dataJobRecordOf(job) !== undefined;
    const { buckets: history, activity } = await this.history(jobId, now);
    const [status, report] = await Promise.all([
      this.status(job, now, activity),
      // Only an ended job's report is its own: a resumed one's is the last run's until this run ends.
      job.config['groups'] === undefined || !ENDED_JOB_STATES.has(effectiveState(job, now) as JobState)
        ? undefined
        : readReport(job.outDir),
    ]);
    // Only a data job's answers are checked. Its items carry their prompt (decision 0039), whose counts hold the
    // checks; a job made before that is asked the store, which reads every answered item.
    const checks =
      status.prompts !== undefined
        ? sumChecks(status.prompts)
        : dataJob
          ? (await this.store.reviewStats(jobId)).byStatus
          : {};
    const totals = historyTotals(history);
    const cost = await this.cost(job, totals);
    const done = status.counts.succeeded + status.counts.failed;
    return {
      summary: jobSummary(job, status, cost),
      status,
      failures: totals.failures,
      attempts: totals.attempts,
      tokens: { input: totals.inputTokens, output: totals.outputTokens },
      checks,
      data_job: dataJob,
      files: downloadableFiles(job),
      history: history.map((bucket) => ({
        at: bucket.at,
        ok: bucket.ok,
        failed: bucket.failed,
        cost_usd: priceJobTokens(job, cost.model, bucket),
      })),
      report_groups: report?.groups ?? null,
      forecast_usd:
        cost.usd === null || done === 0 || !status.input_fully_read
          ? null
          : Math.round(((cost.usd * status.counts.total) / done) * 1e6) / 1e6,
    };
  }

  /**
   * The job's history, per minute: only the attempts recorded since the last read are read (`attemptHistory`). It also
   * gives the job's recent activity, which `readJobStatus` would otherwise count over every item of the job.
   */
  private async history(jobId: string, now: number): Promise<{ buckets: HistoryBucket[]; activity: JobActivity }> {
    let entry = this.histories.get(jobId);
    if (entry === undefined) {
      entry = { lastRow: 0, buckets: new Map(), reading: Promise.resolve(), recent: [], lastAt: null };
      this.histories.set(jobId, entry);
    }
    const known = entry;
    // One read at a time per job: two pages open on it must not both add the same newer attempts.
    const read = known.reading.then(() => this.store.attemptHistory(jobId, known.lastRow, HISTORY_BUCKET_MS));
    known.reading = read.catch(() => undefined);
    const since = await read;
    const first = known.lastRow === 0;
    known.lastRow = since.lastRow;
    let answered = 0;
    for (const bucket of since.buckets) {
      // A first read holds the whole ledger: of it, only what ended within the window is recent.
      if (!first || bucket.lastAt >= now - RECENT_MS) answered += bucket.ok;
      known.lastAt = Math.max(known.lastAt ?? 0, bucket.lastAt);
      const sum = known.buckets.get(bucket.at);
      if (sum === undefined) {
        known.buckets.set(bucket.at, { ...bucket, failures: { ...bucket.failures } });
        continue;
      }
      addCounts(sum, bucket);
      sum.lastAt = Math.max(sum.lastAt, bucket.lastAt);
    }
    if (answered > 0) known.recent.push({ at: now, ok: answered });
    known.recent = known.recent.filter((read) => read.at >= now - RECENT_MS);
    return {
      buckets: [...known.buckets.values()].sort((a, b) => a.at - b.at),
      activity: { finishedSince: known.recent.reduce((sum, read) => sum + read.ok, 0), lastFinishedAt: known.lastAt },
    };
  }

  private async status(job: Job, now: number, activity: JobActivity): Promise<JobStatus> {
    return readJobStatus(this.store, job, now, {
      answersAreRows: await answersAreRows(this.workspace, job),
      activity,
      // Each group's tokens are summed over every attempt of the job: not shown here, not paid for.
      groupTokens: false,
    });
  }

  /** The job's cost so far, priced at the model its first answer named, from the tokens of its history. */
  private async cost(job: Job, totals: HistoryTotals): Promise<{ usd: number | null; model: string | null }> {
    const model = (await this.answeredModel(job)) ?? (typeof job.config.model === 'string' ? job.config.model : null);
    return { usd: priceJobTokens(job, model, totals), model };
  }

  private async answeredModel(job: Job): Promise<string | null> {
    const known = this.answeredModels.get(job.id);
    if (known !== undefined) return known;
    const [first] = await this.store.itemPage(job.id, { state: 'succeeded' }, -1, 1);
    if (first === undefined) return null;
    const body = (await this.store.itemDetail(job.id, first.seq))?.item.responseBody ?? null;
    const model = body === null ? null : answerModel(body);
    if (model !== null) this.answeredModels.set(job.id, model);
    return model;
  }
}

/** What a job's history sums to: attempts, tokens, and failed attempts by cause. */
type HistoryTotals = Pick<HistoryBucket, 'ok' | 'failed' | 'failures' | 'inputTokens' | 'outputTokens'> & {
  attempts: number;
};

/** Adds `bucket`'s counts and tokens to `sum`. */
function addCounts(sum: Omit<HistoryTotals, 'attempts'>, bucket: Omit<HistoryTotals, 'attempts'>): void {
  sum.ok += bucket.ok;
  sum.failed += bucket.failed;
  sum.inputTokens += bucket.inputTokens;
  sum.outputTokens += bucket.outputTokens;
  for (const [outcome, count] of Object.entries(bucket.failures)) {
    sum.failures[outcome] = (sum.failures[outcome] ?? 0) + count;
  }
}

function historyTotals(buckets: readonly HistoryBucket[]): HistoryTotals {
  const sum = { ok: 0, failed: 0, failures: {}, inputTokens: 0, outputTokens: 0 };
  for (const bucket of buckets) addCounts(sum, bucket);
  return { ...sum, attempts: sum.ok + sum.failed };
}

/** The job's report.json, or undefined while there is none (or it cannot be read: the page goes on without it). */
async function readReport(outDir: string): Promise<Pick<JobReport, 'groups'> | undefined> {
  try {
    return JSON.parse(await readFile(join(outDir, RESULT_FILES.report), 'utf8')) as Pick<JobReport, 'groups'>;
  } catch {
    return undefined;
  }
}

/** A job state named in a query, checked; an unknown one is an error naming the states there are. */
export function toJobStateFilter(state: string | undefined): string | undefined {
  if (state === undefined || state === '') return undefined;
  const states: string[] = [...Object.values(JOB_STATES), 'interrupted'];
  if (!states.includes(state)) {
    throw new RangeError(`state "${state}" is not a job state; use one of ${states.join(', ')}`);
  }
  return state;
}

/** A filter from a query string's members; an unknown state is an error naming it. */
export function toItemFilter(query: Readonly<Record<string, string | undefined>>): ItemFilter {
  const filter: ItemFilter = {};
  const state = query['state'];
  if (state !== undefined && state !== '') {
    if (!Object.hasOwn(ITEM_STATES, state)) {
      throw new RangeError(`state "${state}" is not an item state; use one of ${Object.keys(ITEM_STATES).join(', ')}`);
    }
    filter.state = state as ItemState;
  }
  if (query['group'] !== undefined) filter.group = query['group'];
  if (query['prompt'] !== undefined && query['prompt'] !== '') filter.prompt = query['prompt'];
  if (query['error'] !== undefined && query['error'] !== '') filter.errorCode = query['error'];
  const check = query['check'];
  if (check !== undefined && check !== '') {
    if (!(ANSWER_STATUSES as readonly string[]).includes(check)) {
      throw new RangeError(`check "${check}" is not a check status; use one of ${ANSWER_STATUSES.join(', ')}`);
    }
    filter.checkStatus = check;
  }
  const attempts = query['attempts'];
  if (attempts !== undefined && attempts !== '') {
    const value = Number(attempts);
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`attempts "${attempts}" is not a whole number`);
    filter.minAttempts = value;
  }
  if (query['q'] !== undefined && query['q'] !== '') filter.idContains = query['q'];
  return filter;
}

/** A page of a job's items under `filter`, `limit` after seq `after` (-1: the first). */
export async function readItemPage(
  store: DashboardStore,
  jobId: string,
  filter: ItemFilter,
  after: number,
  limit: number,
): Promise<ItemListPage> {
  const items = await store.itemPage(jobId, filter, after, limit + 1);
  const more = items.length > limit;
  const shown = more ? items.slice(0, limit) : items;
  // A first page that holds every match has its count already: no second pass over the job's items.
  const total = after === -1 && !more ? shown.length : await store.countItems(jobId, filter, ITEM_COUNT_CAP + 1);
  return {
    items: shown.map(toItemJson),
    next_after: more ? (shown.at(-1)?.seq ?? null) : null,
    total: Math.min(total, ITEM_COUNT_CAP),
    total_capped: total > ITEM_COUNT_CAP,
  };
}

function textOf(body: string | Uint8Array | null): string | null {
  if (body === null) return null;
  return typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
}

/**
 * One item whole: its request (kept in a shared store; otherwise read back from the job's input, where it is the
 * one copy), its answer, check and attempts. As stored (redacted when written); the server masks every answer again
 * with the keys it knows.
 */
export async function readItemView(store: DashboardStore, job: Job, seq: number): Promise<ItemView | undefined> {
  const detail = await store.itemDetail(job.id, seq);
  if (detail === undefined) return undefined;
  const { item } = detail;
  let request = detail.request;
  let unreadable: string | null = null;
  if (request === null) {
    try {
      const reader = await createLineReader(job.inputPath);
      try {
        [request = null] = await reader.readMany([item]);
      } finally {
        await reader.close();
      }
    } catch (error) {
      unreadable = error instanceof Error ? error.message : String(error);
    }
  }
  const answer = textOf(item.responseBody);
  return {
    item: {
      ...toItemJson({
        seq: item.seq,
        customId: item.customId,
        lineNo: item.lineNo,
        state: item.state,
        attempts: item.attempts,
        reasks: item.reasks,
        statusCode: item.statusCode,
        errorCode: item.error?.code ?? null,
        checkStatus: item.check?.status ?? null,
        group: detail.group,
        prompt: detail.prompt,
        completedAt: detail.completedAt,
      }),
      missing_reason: item.missingReason,
      request_id: item.requestId,
    },
    request,
    request_unreadable: unreadable,
    answer: answer === null ? null : answer.slice(0, ANSWER_VIEW_BYTES),
    answer_bytes: answer === null ? 0 : Buffer.byteLength(answer),
    check: item.check,
    error:
      item.error === null
        ? null
        : {
            code: item.error.code,
            message: item.error.message,
            ...(item.error.status === undefined ? {} : { status: item.error.status }),
            // The start of what the endpoint sent back (kept redacted): the raw answer of a malformed reply.
            ...(item.error.body === undefined ? {} : { body: item.error.body }),
          },
    attempts: detail.attempts.map((attempt) => ({
      attempt: attempt.attempt,
      started_at: new Date(attempt.startedAt).toISOString(),
      latency_ms: attempt.latencyMs,
      status_code: attempt.statusCode,
      outcome: attempt.outcome,
      input_tokens: attempt.inputTokens,
      output_tokens: attempt.outputTokens,
      reask: attempt.reask,
      check_status: attempt.checkStatus,
    })),
  };
}

/**
 * Remembers the API key `job` reads (`api_key_env` in this process's environment), so an answer or error that echoes
 * it is masked before it leaves the dashboard, as it is everywhere else.
 */
export function rememberJobKey(job: Pick<Job, 'config'>, env: Readonly<Record<string, string | undefined>>): void {
  const name = job.config.api_key_env;
  const key = typeof name === 'string' ? env[name] : undefined;
  if (key !== undefined) registerSecret(key);
}

/**
 * The files of `job` a page offers for download, by name: the result files, and a data job's enriched dataset and
 * integration report when they are in the job folder (an `integrate.out` elsewhere is the user's own file).
 */
export function downloadableFiles(job: Pick<Job, 'outDir' | 'config' | 'data'>): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [name, file] of Object.entries(RESULT_FILES)) files[name] = join(job.outDir, file);
  if (dataJobRecordOf(job) === undefined) return files;
  const integrate = (job.config['integrate'] ?? {}) as { out?: string; format?: EnrichedFormat };
  if (integrate.out === undefined) {
    files['enriched'] = resolveEnrichedTarget({ format: integrate.format }, job.outDir).path;
  }
  files['integration'] = join(job.outDir, INTEGRATION_FILES.report);
  return files;
}

/** Where the file `name` of `job` is, or undefined for any name it does not offer: no path of a request's making. */
export function resultFilePath(job: Pick<Job, 'outDir' | 'config' | 'data'>, name: string): string | undefined {
  const files = downloadableFiles(job);
  return Object.hasOwn(files, name) ? files[name] : undefined;
}

/** The answers of every prompt by check status. */
function sumChecks(prompts: readonly PromptStatus[]): Record<string, number> {
  const checks: Record<string, number> = {};
  for (const prompt of prompts) {
    for (const [status, count] of Object.entries(prompt.checks)) checks[status] = (checks[status] ?? 0) + count;
  }
  return checks;
}
