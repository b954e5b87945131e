import type { AnswerReview } from './answer-review.ts';
import type { MissingReason } from '../core/item.ts';
import type { IngestCursor, Job, JobCounts } from '../core/job.ts';
import type { ProviderError } from '../errors/index.ts';
import type { LineParserOptions } from '../input/parse-input-line.ts';
import type { Store } from '../store/store.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import { createLogger, type Logger } from '../util/logger.ts';
import { ingestContext, recordUnread, type IngestContext } from './feed-items.ts';
import { finalizeJob, type FinalizeJobOptions } from './finalize-job.ts';
import type { GroupReportLine } from '../output/build-report.ts';
import { openJobRun, startRun } from './open-job-run.ts';
import { FINAL_STATES, type RunJobResult, type RunOutcome } from './run-outcome.ts';
import { LOG_EVENT } from '../util/log-event.ts';

/**
 * The scaffold every run of a job stands in, whatever its mode. Its phases, in order:
 *
 * 1. open:     the job exists, its input is the one it was created from, and this process takes its lease.
 * 2. bridge:   the caller's signal stops the run (`JobRun.signal`); so can the engine (`JobRun.stop`).
 * 3. start:    reopen what this run sends again, mark the job running (see `startRun`), log the start.
 * 4. engine:   the mode's engine runs the items to an outcome (`RunEngine.run`); the only phase that differs.
 * 5. unread:   a stopped run commits the input lines it never read as items, so every valid line is in
 *              `missing_records.jsonl` and every bad one in `rejects.jsonl`, and resume sends them.
 * 6. cancel:   unfinished items are cancelled with the reason the engine gives for the outcome (or left open).
 * 7. finalize: result files and report from the store, then the job's final state; log the end.
 * 8. release:  always, however the run ended: the lease is released and the log flushed.
 *
 * Later stages (validation, re-asks, sinks) plug in here, not into each engine.
 */

/** What the scaffold needs of the engine settings (both modes' settings have it). */
export interface ScaffoldSettings {
  parser: LineParserOptions;
  maxLineBytes: number;
  limit: number;
  order: 'input' | 'completion';
}

export interface JobRunOptions {
  jobId: string;
  store: Store;
  settings: ScaffoldSettings;
  clock?: Clock | undefined;
  logger?: Logger | undefined;
  /** Aborting it stops the run (as Ctrl-C does); the job stays resumable. */
  signal?: AbortSignal | undefined;
  /** `retry JOB` reopens failed items before running. */
  reopenFailed?: boolean | undefined;
  /** Set when the engine checks answers (docs/decisions/0019): the report then says what the checks said. */
  review?: AnswerReview | undefined;
  /**
   * Called once the run has reopened what it sends again and marked the job running, before the engine starts: from
   * then until the run ends, a succeeded, failed or cancelled item stays so (a join-back may follow the run).
   */
  onStarted?: (() => void) | undefined;
  /** A data job's row groups (docs/decisions/0024): each item's group, kept with it in the store at ingest. */
  groupOf?: ((customId: string) => string | undefined) | undefined;
  /** A data job's per-group lines for report.json, read when the run finalizes (docs/decisions/0024). */
  reportGroups?: (() => GroupReportLine[]) | undefined;
  /**
   * Runs once the job is finalized, while this process still holds its lease: what must be done before anyone
   * watching (`wait`, `monitor`) sees the job ended, such as a data job's join-back, last sink batches and report.
   */
  beforeRelease?: ((result: RunJobResult) => Promise<void>) | undefined;
}

/** One run of a job as the scaffold opened it: what an engine runs the items with. */
export interface JobRun {
  /** The job as it was when the run opened. */
  readonly job: Job;
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  /** When the run started (clock ms). */
  readonly startedAt: number;
  /** Item counts once reopened items are pending again: what earlier runs finished. */
  readonly earlier: JobCounts;
  /** Aborted when the caller's signal aborts or the engine calls `stop()`. */
  readonly signal: AbortSignal;
  stop(): void;
  /** Calls `listener` once when the run is stopped (at once if it already is). */
  onStop(listener: () => void): void;
  /** The committed reader position in the input. */
  readonly cursor: IngestCursor;
  /** One parser for the whole run, the cursor kept current; for `feedItems` and `recordUnread`. */
  readonly ingest: IngestContext;
  /**
   * Phase 5 now, for an engine that reports on the input after it (realtime progress): commits every line after the
   * cursor as an item, whatever the signal says, calling `onCommitted` after each commit. A no-op once the input is
   * read to its end.
   */
  recordUnread(onCommitted?: () => Promise<void>): Promise<void>;
}

/** How the engine's part of a run ended. */
export interface EngineEnd {
  outcome: RunOutcome;
  /** The 401/403 that stopped the job, or the last failure to reach the endpoint. */
  fatal?: ProviderError | undefined;
  /** How long the endpoint had been unreachable when the job stopped (`unreachable`), in ms. */
  outageMs?: number | undefined;
}

/** What a mode plugs into the scaffold. */
export interface RunEngine {
  /** The mode, as the run's start and end events name it. */
  readonly mode: 'realtime' | 'batch';
  /** What the start event says besides the job id. */
  startFields(run: JobRun): Record<string, unknown>;
  /** The reason unfinished items are cancelled with after each outcome that cancels them; others leave them open. */
  readonly cancelReasons: Readonly<Partial<Record<RunOutcome, MissingReason>>>;
  /** Runs the job's items to an outcome. Throws only for what is not an outcome (a bug, a full disk). */
  run(run: JobRun): Promise<EngineEnd>;
  /** Batch mode: the chunk lines of the report. */
  reportBatch?(run: JobRun): Promise<NonNullable<FinalizeJobOptions['batch']>>;
}

/** Runs (or resumes) one job through `engine`, in the phases described above. */
export async function runJobScaffold(options: JobRunOptions, engine: RunEngine): Promise<RunJobResult> {
  const { store, settings } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger();
  const startedAt = clock.now();
  const { job, lease } = await openJobRun(store, options.jobId, clock);
  const stop = new AbortController();
  const onOuterAbort = (): void => stop.abort();
  if (options.signal?.aborted === true) stop.abort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  try {
    const { earlier, rewriteOnly } = await startRun(store, job, options.reopenFailed === true);
    let cursor: IngestCursor = job.cursor;
    const ingest = ingestContext(
      store,
      job,
      settings,
      (next) => {
        cursor = next;
      },
      { groupOf: options.groupOf, promptOf: options.review?.promptOf?.bind(options.review) },
    );
    const run: JobRun = {
      job,
      store,
      clock,
      logger,
      startedAt,
      earlier,
      signal: stop.signal,
      stop: () => stop.abort(),
      onStop: (listener) => {
        if (stop.signal.aborted) listener();
        else stop.signal.addEventListener('abort', listener, { once: true });
      },
      get cursor() {
        return cursor;
      },
      ingest,
      recordUnread: async (onCommitted) => {
        if (cursor.done) return;
        logger.info({ jobId: job.id, line: cursor.line }, LOG_EVENT.unreadRecord);
        await recordUnread({ ...ingest, jobId: job.id, signal: new AbortController().signal, onCommitted });
      },
    };
    logger.info({ jobId: job.id, mode: engine.mode, ...engine.startFields(run) }, LOG_EVENT.jobStart);
    options.onStarted?.();

    const end = await engine.run(run);
    await run.recordUnread();
    const reason = engine.cancelReasons[end.outcome];
    if (reason !== undefined) await store.cancelUnfinished(job.id, reason);

    const batch = await engine.reportBatch?.(run);
    const result = await finalizeJob({
      store,
      jobId: job.id,
      finalState: FINAL_STATES[end.outcome],
      order: settings.order,
      limit: settings.limit,
      lease,
      keepState: rewriteOnly,
      clock,
      ...(batch === undefined ? {} : { batch }),
      ...(options.review === undefined ? {} : { reviewed: true }),
      groups: options.reportGroups?.(),
    });
    logger.info(
      { jobId: job.id, mode: engine.mode, outcome: end.outcome, counts: result.report.counts },
      LOG_EVENT.jobEnd,
    );
    const ended: RunJobResult = {
      outcome: end.outcome,
      ...result,
      ...(end.fatal === undefined ? {} : { fatal: end.fatal }),
      ...(end.outageMs === undefined ? {} : { outageMs: end.outageMs }),
    };
    await options.beforeRelease?.(ended);
    return ended;
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
    await lease.release();
    logger.flush();
  }
}
