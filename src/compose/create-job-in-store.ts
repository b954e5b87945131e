import type { ResolvedConfig } from '../config/config-schema.ts';
import { toStoredConfig } from '../config/load-config.ts';
import type { JobData } from '../core/job.ts';
import { fingerprintInput } from '../input/fingerprint-input.ts';
import type { Approvals } from '../plan/check-safety-caps.ts';
import type { Store } from '../store/store.ts';
import { assertOutDirFree } from './assert-out-dir-free.ts';
import { checkRunCaps } from './check-run-caps.ts';
import { jobDirPath } from './job-paths.ts';

export interface CreateJobInStoreOptions {
  store: Store;
  workspace: string;
  jobId: string;
  /** The file the job reads (a stream input already copied, see `spoolJobInput`). */
  inputPath: string;
  config: ResolvedConfig;
  approvals: Approvals;
  /** Where the result files go; refused (`OUT_DIR_IN_USE`) when it holds another job's. @default the job's folder */
  outDir?: string | undefined;
  /** A data job's record (`createDataJob`), written with the job. */
  data?: JobData | undefined;
}

/**
 * The one way a job is created, for the CLI (`run`), the library (`createJob`, `runJob`) and a future server: the
 * input's fingerprint (what resume checks), the safety caps (SPEC section 10), the result folder, then the job row
 * with its secret-free config. Nothing is sent to the provider here. Returns where the result files will go.
 */
export async function createJobInStore(options: CreateJobInStoreOptions): Promise<{ outDir: string }> {
  const { store, config, jobId, inputPath } = options;
  const fingerprint = await fingerprintInput(inputPath);
  // After the fingerprint, so an unreadable input gets its own clear error first.
  await checkRunCaps(config, inputPath, options.approvals);
  const outDir = options.outDir ?? jobDirPath(options.workspace, jobId);
  if (options.outDir !== undefined) await assertOutDirFree(store, outDir, jobId);
  await store.createJob({
    id: jobId,
    inputPath,
    inputFingerprint: fingerprint,
    config: toStoredConfig(config),
    outDir,
    now: Date.now(),
    ...(options.data === undefined ? {} : { data: options.data }),
  });
  return { outDir };
}
