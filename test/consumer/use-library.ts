/**
 * A consumer of the public library, type-checked by `npm run typecheck` (never run): it imports only from the package
 * entry, `'batchpilot'`, which resolves through package.json `exports` (the `batchpilot-source` condition points the
 * type check at src/index.ts; an installed package gets dist/index.d.ts through `types`). A name or type the API drops
 * or changes breaks this file.
 */
import {
  BatchpilotError,
  ConfigError,
  ERROR_CODES,
  collectJob,
  createJob,
  defineConfig,
  planJob,
  resumeJob,
  runJob,
  startSimulator,
  type BatchpilotConfig,
  type CollectedJobResult,
  type ErrorCode,
  type JobOutcome,
  type JobResult,
  type RunProgress,
} from 'batchpilot';

export async function useLibrary(signal: AbortSignal): Promise<JobResult> {
  const sim = await startSimulator({ latencyMs: 5 });
  const config: BatchpilotConfig = defineConfig({ base_url: `${sim.url}/v1`, model: 'gpt-4o-mini', concurrency: 16 });
  try {
    const plan = await planJob({ input: 'requests.jsonl', config });
    const items: number = plan.plan.items;
    const created = await createJob({ input: 'requests.jsonl', workspace: '.batchpilot', config });
    const lines = (async function* () {
      await Promise.resolve();
      yield { custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: { messages: [] } };
      yield '{"custom_id":"b","messages":[{"role":"user","content":"hi"}]}';
    })();
    const result = await runJob({
      input: lines,
      workspace: '.batchpilot',
      jobId: 'nightly-1',
      config,
      signal,
      onProgress: (progress: RunProgress) => {
        const figures: [number, number, number, number | null] = [
          progress.succeeded,
          progress.failed,
          progress.total,
          progress.etaSeconds,
        ];
        return figures;
      },
    });
    const outcome: JobOutcome = result.outcome;
    const paths: string[] = [result.files.output, result.files.errors, result.files.missing, result.files.report];
    const cost: number | null = result.costUsd;
    const counts: number = result.counts.succeeded + result.counts.failed + result.counts.missing + items;
    const collected: CollectedJobResult = await collectJob({
      jobId: result.jobId,
      out: 'elsewhere',
      workspace: '.batchpilot',
    });
    const partial: boolean = !collected.ended && collected.joinBackError === undefined;
    void [outcome, paths, cost, counts, created.jobId, sim.stats().byStatus, partial, collected.files.missing];
    return await resumeJob({ workspace: '.batchpilot', jobId: result.jobId, retryFailed: true });
  } catch (error) {
    if (error instanceof ConfigError) {
      const key: string | undefined = error.context.key;
      void key;
    }
    if (error instanceof BatchpilotError) {
      const code: ErrorCode = error.code;
      const exitCode: number = ERROR_CODES[code].exitCode;
      void exitCode;
    }
    throw error;
  } finally {
    await sim.close();
  }
}
