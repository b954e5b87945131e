import { Worker } from 'node:worker_threads';
import type { ResolvedConfig } from '../config/config-schema.ts';
import type { JobProgress } from '../engine/run-job.ts';
import { SinkError, type ErrorCode } from '../errors/index.ts';
import type { IntegrateDataJobResult } from '../output/integrate-data-job.ts';
import type { Sink } from '../sinks/sink.ts';
import type { SinkHold } from './sink-hold.ts';
import { answerSinkWrite, type SinkWriteRequest } from './thread-sink.ts';
import type { Logger } from '../util/logger.ts';
import { LOG_EVENT } from '../util/log-event.ts';

/** What the run tells the join-back thread: a number is how many items the run has settled. */
export type JoinBackToThread = 'start' | 'end' | 'abandon' | number;

/** What the join-back thread answers, once. */
export type JoinBackFromThread =
  | { kind: 'done'; result: IntegrateDataJobResult }
  | { kind: 'failed'; reason: string; sinkCode?: ErrorCode }
  | { kind: 'abandoned' };

/** A join-back following a data job's run in its own thread. */
export interface FollowingJoinBack {
  /** The run has started: the thread may read the store (`JobRunOptions.onStarted`). */
  readonly started: () => void;
  /** The run's progress: the thread reads a page once the run may have settled it. */
  progress(progress: JobProgress): void;
  /**
   * The run ended as one that is joined back: the rest of the dataset is written and its result returned; undefined
   * when the thread could not (its reason is logged), and the caller joins back itself, which words any error.
   */
  finish(): Promise<IntegrateDataJobResult | undefined>;
  /** The run stopped to be resumed, or threw: the thread throws its half-written files away and exits. */
  abandon(): Promise<void>;
}

/** How long an abandoned thread gets to remove its temp files before it is terminated. */
const ABANDON_GRACE_MS = 5000;

/**
 * Under tsx (tests, development) the worker is a .ts file that Node alone cannot load, and a worker does not inherit
 * the loader tsx registered in this thread: the thread registers tsx's loader itself before importing its entry.
 */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const BOOT = `const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.loader !== undefined) (await import(workerData.loader)).register();
  await import(workerData.entry);
})();`;

/**
 * Starts the thread a data job's join-back runs in beside its run (docs/decisions/0023). The run sends; the thread
 * reads what it has settled, a page of rows at a time, and writes the enriched dataset as it goes, on the core the
 * run leaves idle. When the run ends the thread has only the last pages left, where joining back after the run
 * would read the whole store again. The key is not handed to the thread: join-back sends nothing.
 */
export function startFollowingJoinBack(options: {
  workspace: string;
  /** The run's PostgreSQL store, which the thread opens as a reader of its own; undefined: the workspace's SQLite. */
  storeUrl?: string | undefined;
  jobId: string;
  config: ResolvedConfig;
  logger: Logger;
  /** The job's sinks, open in this thread: the thread's walk has this thread write its batches (thread-sink.ts). */
  sinks?: ReadonlyMap<string, Sink> | undefined;
  /** Told each sink write, to hold the run while a sink is down. */
  hold?: SinkHold | undefined;
  /** A sink failed the walk (down past its `max_wait_s`, or failed for good) while the run goes on: stop it. */
  onSinkFailure?: ((error: SinkError) => void) | undefined;
}): FollowingJoinBack {
  const worker = new Worker(BOOT, {
    eval: true,
    workerData: {
      entry: new URL(`./join-back-worker.${FROM_SOURCE ? 'ts' : 'js'}`, import.meta.url).href,
      loader: FROM_SOURCE ? import.meta.resolve('tsx/esm/api') : undefined,
      workspace: options.workspace,
      storeUrl: options.storeUrl,
      jobId: options.jobId,
      config: { ...options.config, apiKey: null },
    },
  });
  const answer = new Promise<JoinBackFromThread>((resolve) => {
    worker.on('message', (message: JoinBackFromThread | SinkWriteRequest) => {
      if (message.kind !== 'sink-write') {
        if (message.kind === 'failed' && message.sinkCode !== undefined) {
          options.hold?.releaseAll();
          options.onSinkFailure?.(sinkFailure(message.sinkCode, message.reason, options.jobId));
        }
        resolve(message);
        return;
      }
      void answerSinkWrite(message, options.sinks ?? new Map()).then((written) => {
        options.hold?.note(message, written);
        try {
          worker.postMessage(written);
        } catch {
          // The thread is gone: nobody waits for the answer.
        }
      });
    });
    worker.once('error', (error) => resolve({ kind: 'failed', reason: error.message }));
    worker.once('exit', (code) =>
      resolve({ kind: 'failed', reason: `the thread exited (${String(code)}) without an answer` }),
    );
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const send = (message: JoinBackToThread): void => {
    try {
      worker.postMessage(message);
    } catch {
      // The thread is gone already: its answer says so.
    }
  };
  return {
    started: () => send('start'),
    progress: (progress) =>
      send(
        progress.earlier.succeeded +
          progress.earlier.failed +
          progress.counters.succeeded +
          progress.counters.failed +
          (progress.counters.skipped ?? 0),
      ),
    async finish() {
      send('end');
      const message = await answer;
      await exited;
      if (message.kind === 'done') return message.result;
      // A sink that failed the walk fails it again in this thread: its error is the job's to report, not a reason
      // to walk again (which would wait on that sink as long once more).
      if (message.kind === 'failed' && message.sinkCode !== undefined) {
        throw sinkFailure(message.sinkCode, message.reason, options.jobId);
      }
      options.logger.warn(
        { jobId: options.jobId, reason: message.kind === 'failed' ? message.reason : 'abandoned' },
        LOG_EVENT.joinBackFollowFail,
      );
      return undefined;
    },
    async abandon() {
      send('abandon');
      const timer = setTimeout(() => void worker.terminate(), ABANDON_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

function sinkFailure(code: ErrorCode, reason: string, jobId: string): SinkError {
  return new SinkError(code, reason, { context: { jobId } });
}
