/**
 * The entry of the thread a data job's join-back follows its run in (join-back-thread.ts): it opens the workspace's
 * store itself (a reader beside the run's writer), waits for `start` (the run has started, see
 * `JobRunOptions.onStarted`), writes the enriched dataset page by page as the run settles each, and posts the result
 * once told `end`; `abandon` throws the half-written files away.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { ResolvedConfig } from '../config/config-schema.ts';
import { SinkError } from '../errors/index.ts';
import { createStore } from '../store/create-store.ts';
import { FollowGate } from './follow-answers.ts';
import { integrateStoredJob } from './integrate-stored-job.ts';
import { startJobSinks } from './job-sinks.ts';
import { ThreadSink, type SinkWriteAnswer } from './thread-sink.ts';
import type { JoinBackFromThread, JoinBackToThread } from './join-back-thread.ts';

interface JoinBackWorkerData {
  workspace: string;
  storeUrl: string | undefined;
  jobId: string;
  config: ResolvedConfig;
}

/**
 * While the run sends, its thread is what the job waits on: this one should only take a core that thread and the
 * endpoint leave idle, so it runs at the lowest priority (Linux lets one thread be niced; its id is the last part of
 * /proc/thread-self). Once the run has ended the job waits on this thread, which then gets the process's priority
 * back where the system allows it (root, or a nice limit); where it would not, the thread runs only a little below
 * the run rather than at the lowest priority, so a busy machine cannot starve the end of the join-back.
 */
function yieldToTheRun(): () => void {
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(threadId) || threadId <= 0) return () => undefined;
    let restorable = true;
    try {
      setPriority(threadId, 1);
      setPriority(threadId, 0);
    } catch {
      restorable = false;
    }
    setPriority(threadId, restorable ? 19 : 5);
    return () => {
      if (restorable) setPriority(threadId, 0);
    };
  } catch {
    // Not Linux, or not allowed: the thread runs at the process's priority.
    return () => undefined;
  }
}

const restorePriority = yieldToTheRun();
const port = parentPort;
if (port === null) throw new Error('join-back-worker.ts runs as a worker thread only');
const data = workerData as JoinBackWorkerData;
const gate = new FollowGate();
let started: () => void = () => undefined;
const start = new Promise<void>((resolve) => {
  started = resolve;
});
// Sink writes this thread asks of the run's thread (thread-sink.ts), by request id.
const waiting = new Map<number, (answer: SinkWriteAnswer) => void>();
let lastRequest = 0;
port.on('message', (message: JoinBackToThread | SinkWriteAnswer) => {
  if (typeof message === 'object') {
    waiting.get(message.id)?.(message);
    waiting.delete(message.id);
  } else if (typeof message === 'number') gate.progress(message);
  else if (message === 'start') started();
  else if (message === 'end') {
    restorePriority();
    gate.end();
  } else {
    gate.abandon();
    started();
  }
});
const post = (message: JoinBackFromThread): void => port.postMessage(message);

const store = createStore({ workspace: data.workspace, url: data.storeUrl });
try {
  const job = await store.getJob(data.jobId);
  if (job === undefined) {
    post({ kind: 'failed', reason: `job ${data.jobId} is not in the store at ${data.workspace}` });
  } else {
    await start;
    if (gate.signal.aborted) post({ kind: 'abandoned' });
    else {
      // The sinks are fed by this walk (decision 0026); the run checked them before it sent anything.
      const sinks = await startJobSinks({
        store,
        workspace: data.workspace,
        job,
        config: data.config,
        makeSink: (entry) => new ThreadSink(entry.name, port, waiting, () => (lastRequest += 1)),
        // The run is stopped when a sink stays down: resuming it carries the sink on too.
        whenBack: `batchpilot resume ${job.id}`,
      });
      const result = await integrateStoredJob({
        store,
        workspace: data.workspace,
        job,
        config: data.config,
        follow: gate,
        sinks,
      });
      post({ kind: 'done', result });
    }
  }
} catch (error) {
  post(
    gate.signal.aborted
      ? { kind: 'abandoned' }
      : {
          kind: 'failed',
          reason: error instanceof Error ? error.message : String(error),
          ...(error instanceof SinkError ? { sinkCode: error.code } : {}),
        },
  );
} finally {
  await store.close();
  port.close();
}
