import type { Clock } from '../../util/clock.ts';
import { LOG_EVENT } from '../../util/log-event.ts';
import type { Logger } from '../../util/logger.ts';

/** How long a job's work may wait with none of it taken before the waiting process says no worker seems to run. */
const NO_WORKER_NOTICE_MS = 30_000;

export interface NoWorkerNoticeOptions {
  jobId: string;
  /** What is handed out: "slice" (realtime) or "chunk" (batch mode). */
  unit: 'slice' | 'chunk';
  clock: Clock;
  logger: Logger;
  onNotice?: ((message: string) => void) | undefined;
}

/**
 * The submitting process's word, once, that its job's work has waited long with no process taking any of it
 * (`--no-work` with no `worker` running, or none that can reach the endpoint): logged (`slice-wait`) and told.
 */
export class NoWorkerNotice {
  private readonly options: NoWorkerNoticeOptions;
  private untakenSince: number;
  private said = false;

  constructor(options: NoWorkerNoticeOptions) {
    this.options = options;
    this.untakenSince = options.clock.now();
  }

  /** Once said, it is not said again: the caller may stop looking. */
  get told(): boolean {
    return this.said;
  }

  /** One look at the job: `taken` when some of its work is held by a process, or none waits. */
  look(taken: boolean): void {
    const { clock, jobId, unit } = this.options;
    const now = clock.now();
    if (taken) {
      this.untakenSince = now;
      return;
    }
    if (this.said || now - this.untakenSince < NO_WORKER_NOTICE_MS) return;
    this.said = true;
    this.options.logger.warn({ jobId, waitedMs: now - this.untakenSince }, LOG_EVENT.sliceWait);
    this.options.onNotice?.(
      `no process has taken a ${unit} of job ${jobId} for ${String(NO_WORKER_NOTICE_MS / 1000)} s; start "batchpilot worker --store URL" where the endpoint can be reached`,
    );
  }
}
