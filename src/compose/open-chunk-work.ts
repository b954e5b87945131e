import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResolvedConfig } from '../config/config-schema.ts';
import { ChunkWork } from '../engine/work/chunk-work.ts';
import { workHolder } from '../engine/work/job-slice-work.ts';
import { createLineParser } from '../input/parse-input-line.ts';
import type { SharedStore } from '../store/shared-store.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/logger.ts';
import { toBatchSettings } from './job-settings.ts';
import { openBatchProvider } from './open-batch-provider.ts';

export interface OpenChunkWorkOptions {
  jobId: string;
  store: SharedStore;
  /** The job's stored config, with this machine's key. */
  config: ResolvedConfig;
  clock: Clock;
  logger: Logger;
  staleMs: number;
}

/**
 * A worker's work on a batch-mode job's chunks (docs/decisions/0034): the job's batch provider with this machine's
 * key, and a folder of its own (in the system's temp folder) for the chunk files it uploads, removed with `close`.
 */
export async function openChunkWork(
  options: OpenChunkWorkOptions,
): Promise<{ work: ChunkWork; provider: { close(): Promise<void> } }> {
  const { config } = options;
  if (config.base_url === undefined) throw new Error('the job names no base_url a worker can send to');
  const settings = toBatchSettings(config);
  const provider = await openBatchProvider(config, config.base_url);
  const workDir = join(tmpdir(), `batchpilot-chunks-${String(process.pid)}-${randomUUID()}`);
  const work = new ChunkWork({
    jobId: options.jobId,
    store: options.store,
    provider,
    settings,
    parser: createLineParser(settings.parser),
    holder: workHolder(),
    workDir,
    clock: options.clock,
    logger: options.logger,
    staleMs: options.staleMs,
  });
  return {
    work,
    provider: {
      close: async () => {
        await provider.close();
        await rm(workDir, { recursive: true, force: true });
      },
    },
  };
}
