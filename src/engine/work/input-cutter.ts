import type { WorkSliceStore } from '../../store/work-slice-store.ts';
import type { JobRun } from '../run-job-scaffold.ts';

export interface InputCutterOptions {
  run: Pick<JobRun, 'job' | 'recordUnread'>;
  store: Pick<WorkSliceStore, 'appendSlices'>;
  sliceItems: number;
  /** Told after a cut that handed out new slices (this process's own work takes them at once). */
  onCut: () => void;
}

/**
 * The rest of a shared run's input, read, committed and cut into slices as it goes (docs/decisions/0031), so workers
 * send while it is still being read: whole slices after each commit, the remainder at the input's end. Started on
 * construction. `stop()` ends the cutting (a run that ends hands nothing out after it withdrew its slices); the
 * reading itself goes on to the input's end, as a stopped run's does.
 */
export class InputCutter {
  private readonly options: InputCutterOptions;
  private readonly reading: Promise<void>;
  private cutting = true;
  private wholeInputCut = false;
  private appending: Promise<number> = Promise.resolve(0);
  private failure: Error | undefined;

  constructor(options: InputCutterOptions) {
    this.options = options;
    this.reading = options.run
      .recordUnread(() => this.append(false))
      .then(async () => {
        await this.append(true);
        this.wholeInputCut = true;
      });
    this.reading.catch((error: unknown) => {
      this.failure = error instanceof Error ? error : new Error(String(error));
    });
  }

  /** The whole input is read and cut into slices. */
  get done(): boolean {
    return this.wholeInputCut;
  }

  /** The failure of the reading or of a cut (the store gone), once there was one. */
  throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** No slice is cut after this resolves (a cut under way is waited for). */
  async stop(): Promise<void> {
    this.cutting = false;
    await this.appending.catch(() => undefined);
  }

  /** Resolves once the input is read to its end (or the reading failed: the run is ending already). */
  async finished(): Promise<void> {
    await this.reading.catch(() => undefined);
  }

  private async append(final: boolean): Promise<void> {
    if (!this.cutting) return;
    const { store, run, sliceItems } = this.options;
    this.appending = store.appendSlices(run.job.id, sliceItems, final);
    if ((await this.appending) > 0) this.options.onCut();
  }
}
