/**
 * Runs `work` with Ctrl-C and SIGTERM aborting the signal it is given, and takes the handlers off when it ends.
 * For the steps before a job runs (copying the input, preparing data): a signal stops them, nothing is created, and
 * the work ends with `INTERRUPTED`. Running a job has its own handler (`execute-job.ts`: a second Ctrl-C quits).
 */
export async function withStopSignals<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work(stop.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
