import type { Chunk } from '../../core/chunk.ts';
import { ProviderError } from '../../errors/index.ts';
import type { BatchProvider } from '../../providers/provider.ts';
import type { SharedStore } from '../../store/shared-store.ts';
import type { WorkStop } from '../../store/work-slice-store.ts';
import { LOG_EVENT } from '../../util/log-event.ts';
import type { ChunkHandOut } from '../batch/chunk-hand-out.ts';
import type { ChunkStepsOptions } from '../batch/chunk-steps.ts';
import { EndpointOutage } from '../batch/remote-call.ts';
import type { JobRun } from '../run-job-scaffold.ts';
import { ChunkWork } from './chunk-work.ts';
import { workHolder } from './job-slice-work.ts';
import { NoWorkerNotice } from './no-worker-notice.ts';

export interface SharedChunkHandOutOptions {
  run: JobRun;
  store: SharedStore;
  provider: BatchProvider;
  settings: ChunkStepsOptions['settings'];
  /** Where this process's own share of the work writes chunk files: the job's folder. */
  workDir: string;
  /** `run --no-work`: this process only cuts and watches; workers elsewhere run the chunks. */
  noWork: boolean;
  staleMs: number;
  onNotice?: ((message: string) => void) | undefined;
}

/** How often the submitting process looks at the store for closed chunks and stops, with nothing else to do. */
const WATCH_MS = 250;

/**
 * The submitting process's side of a batch job in a shared store (docs/decisions/0034): the chunks the loop cuts
 * are handed out as slices of kind chunk, and unless `noWork` this process takes its share of them like any worker
 * (`ChunkWork`). A stop a holder recorded ends the run as in one process.
 */
export class SharedChunkHandOut implements ChunkHandOut {
  readonly watchMs = WATCH_MS;
  private readonly options: SharedChunkHandOutOptions;
  private local: ChunkWork | undefined;
  private working: Promise<void> | undefined;
  private readonly noWorker: NoWorkerNotice;

  constructor(options: SharedChunkHandOutOptions) {
    this.options = options;
    const { run } = options;
    this.noWorker = new NoWorkerNotice({
      jobId: run.job.id,
      unit: 'chunk',
      clock: run.clock,
      logger: run.logger,
      onNotice: options.onNotice,
    });
  }

  async start(open: readonly Chunk[]): Promise<void> {
    const { store, run } = this.options;
    const chunkNos = open.map((chunk) => chunk.chunkNo);
    // A new run: what earlier runs handed out (and their holders, perhaps gone) is withdrawn, and handed out anew.
    await store.handOutChunks(run.job.id, chunkNos, { restart: true });
    if (chunkNos.length > 0) run.logger.info({ jobId: run.job.id, chunks: chunkNos }, LOG_EVENT.chunkHandOut);
    if (this.options.noWork) return;
    const local = new ChunkWork({
      jobId: run.job.id,
      store,
      provider: this.options.provider,
      settings: this.options.settings,
      // The run's own parser: it knows the format the reader detected while committing the input.
      parser: run.ingest.parser,
      holder: workHolder(),
      workDir: this.options.workDir,
      clock: run.clock,
      logger: run.logger,
      staleMs: this.options.staleMs,
      untilStopped: true,
      onNotice: this.options.onNotice,
    });
    this.local = local;
    this.working = local.run().catch((error: unknown) => {
      run.logger.error({ jobId: run.job.id, message: (error as Error).message }, LOG_EVENT.sliceFail);
    });
  }

  async handOut(chunk: Chunk): Promise<void> {
    const { store, run } = this.options;
    await store.handOutChunks(run.job.id, [chunk.chunkNo]);
    run.logger.info({ jobId: run.job.id, chunks: [chunk.chunkNo] }, LOG_EVENT.chunkHandOut);
  }

  closedAnswers(chunkNo: number): AsyncIterable<string> {
    return this.options.store.chunkAnswers(this.options.run.job.id, chunkNo);
  }

  async watch(): Promise<void> {
    const { store, run } = this.options;
    const stop = await store.workStop(run.job.id);
    if (stop !== undefined) throw stopError(stop);
    if (!this.options.noWork || this.noWorker.told) return;
    // Only with --no-work can the chunks wait for no one: this process takes its share otherwise.
    const counts = await store.sliceCounts(run.job.id);
    this.noWorker.look(counts.open === 0 || counts.held > 0);
  }

  async close(): Promise<void> {
    // Withdrawn first: every holder loses the job's chunks, so none goes on after the run ended.
    await this.options.store.withdrawSlices(this.options.run.job.id).catch(() => undefined);
    this.local?.stop();
    await this.working;
  }
}

/** The error a batch run in one process would have ended with, for a stop a holder recorded. */
function stopError(stop: WorkStop): Error {
  if (stop.reason === 'auth') return ProviderError.generate(stop.status ?? 401, stop.message, {});
  return new EndpointOutage(
    'a chunk step on another process',
    new ProviderError(stop.message, { kind: 'connection' }),
    0,
  );
}
