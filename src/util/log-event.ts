/**
 * Every event a job log holds (`batchpilot logs JOB`), in one list and one scheme: `<subject>-<verb>` in kebab-case,
 * the verb in its base form (`chunk-submit`, `job-end`), what the event is about first, and every detail in a field of
 * the line (`reason`, `mode`, `chunk`), never in the name. A caller logs `LOG_EVENT.x`; eslint refuses a string.
 */
export const LOG_EVENT = {
  /** A run of a job starts (`mode`: realtime or batch). */
  jobStart: 'job-start',
  /** A run of a job ends (`outcome`, `counts`). */
  jobEnd: 'job-end',
  /** The run stops before its end for every item (`reason`: `unreachable` endpoint, refused key `auth`). */
  jobStop: 'job-stop',
  /** A worker starts taking slices of running jobs in a shared store (`holder`, `jobs`). */
  workerStart: 'worker-start',
  /** A worker leaves a job alone (`reason`: its key is not set here, its prompts are not in the store). */
  workerSkip: 'worker-skip',
  /** A worker stops (`reason`); the slices it held go back to the queue. */
  workerStop: 'worker-stop',
  /** A shared run cut the job's open items into slices for workers (`slices`, `sliceItems`). */
  sliceCut: 'slice-cut',
  /** The limits shared in the store (rate, budget) could not be read or written (`message`); tried again. */
  limitFail: 'limit-fail',
  /** No process has taken a slice of the job for a while (`waitedMs`): no worker seems to run. */
  sliceWait: 'slice-wait',
  /**
   * A worker took a slice another holder had: lost (killed, hung, cut off) or given back (`slice`, `inDoubt`: the
   * attempts that holder had out, which may be sent twice).
   */
  sliceAdopt: 'slice-adopt',
  /** A worker lost a slice it held (its heartbeat went stale, or the job stopped): it stops sending it. */
  sliceLose: 'slice-lose',
  /** A slice's work failed in this worker (`message`); another worker takes it once its lease is stale. */
  sliceFail: 'slice-fail',
  /** A cancel request was seen; the run stops taking new work. */
  jobCancel: 'job-cancel',
  /** The scheduler took the job from its queue. */
  jobDequeue: 'job-dequeue',
  /** `limits.budget_usd` is reached: no new requests (realtime) or chunks (batch) are sent (`holds`). */
  budgetReach: 'budget-reach',
  /** The run ended before the input was read to its end: the rest is recorded as unread (missing). */
  unreadRecord: 'unread-record',
  /** A stored config key was ignored or changed on load (`message`). */
  configWarn: 'config-warn',
  /** The built-in simulator serves this job (`baseUrl`). */
  simulatorStart: 'simulator-start',
  /** The check before the first request failed (`url`, `failure`): the job did not start. */
  probeFail: 'probe-fail',
  /** A call to the batch endpoint failed on the network; it is retried within the outage bound. */
  endpointRetry: 'endpoint-retry',
  /** The provider said something about the job's lines once (`notice`), e.g. a parameter it does not send. */
  providerWarn: 'provider-warn',
  /** A file uploaded by a run killed before it recorded it was found and used. */
  uploadAdopt: 'upload-adopt',
  /** A batch created by a run killed before it recorded it was found and used. */
  batchAdopt: 'batch-adopt',
  /** A chunk of pending lines was cut (`chunk`, `items`, `bytes`). */
  chunkPlan: 'chunk-plan',
  /** A shared batch run handed chunks out to whoever works on them (`chunks`; docs/decisions/0034). */
  chunkHandOut: 'chunk-hand-out',
  /** A chunk's batch was created (`batchId`). */
  chunkSubmit: 'chunk-submit',
  /** A chunk's batch was asked to cancel. */
  chunkCancel: 'chunk-cancel',
  /** A chunk's batch reached an end state (`status`, `counts`). */
  chunkEnd: 'chunk-end',
  /** A chunk's results were merged into the items (`succeeded`, `failed`, ...). */
  chunkMerge: 'chunk-merge',
  /** The endpoint refused a chunk (`message`); its lines go back to pending or fail. */
  chunkRefuse: 'chunk-refuse',
  /** A chunk was put back because the provider's enqueued-token limit was hit; submissions pause a poll interval. */
  chunkDefer: 'chunk-defer',
  /** A chunk's result file was gone; its batch is read again. */
  chunkReread: 'chunk-reread',
  /** A chunk's results could not be had at all; its lines are sent again. */
  chunkResultsMiss: 'chunk-results-miss',
  /** Lines of a result file could not be read (`unreadable`); their items are sent again or fail. */
  resultLinesSkip: 'result-lines-skip',
  /** The join-back that follows a data job's run in its own thread failed (`reason`); the run joins back itself. */
  joinBackFollowFail: 'join-back-follow-fail',
} as const;

export type LogEvent = (typeof LOG_EVENT)[keyof typeof LOG_EVENT];
