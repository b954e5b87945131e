import type { StructuredOutcome } from '../build-generation-answer.ts';
import type { ResolvedSimulatorOptions } from '../simulator-options.ts';
import type { AnthropicBatchPayload } from './anthropic-batch-payload.ts';
import type { BatchStatsRecorder } from './batch-stats.ts';
import type { BatchStructuredAnswers } from './batch-structured-answers.ts';
import { BatchStore } from './batch-store.ts';
import { buildAnthropicBatchResults } from './build-anthropic-batch-results.ts';
import { buildOpenAIBatchOutput } from './build-openai-batch-output.ts';
import { describeAnthropicBatchStatus } from './describe-anthropic-batch.ts';
import { describeOpenAIBatchStatus } from './describe-openai-batch.ts';
import type { BatchFaultRates } from './draw-line-outcomes.ts';
import { EnqueuedTokens } from './enqueued-tokens.ts';
import { FileStore } from './file-store.ts';
import type { OpenAIBatchPayload } from './openai-batch-payload.ts';

const EMPTY = Buffer.alloc(0);

/** The batch half of a simulator: files, both batch stores, the token pools. One per server, in memory only. */
export interface BatchContext {
  readonly files: FileStore;
  readonly openaiBatches: BatchStore<OpenAIBatchPayload>;
  readonly anthropicBatches: BatchStore<AnthropicBatchPayload>;
  readonly enqueued: EnqueuedTokens;
  readonly stats: BatchStatsRecorder;
  readonly rates: BatchFaultRates;
  readonly lifetimeMs: number;
  readonly seed: number;
  /** `http://HOST:PORT` of the server, for a `results_url` when a request carries no Host header. */
  publicUrl: string;
  /** Batches created on this server, all dialects: the number of the next one seeds its draws. */
  batchCount: number;
  close(): void;
}

export function createBatchContext(
  options: ResolvedSimulatorOptions,
  stats: BatchStatsRecorder,
  nextSequence: () => number,
  recordStructured: (outcomes: readonly StructuredOutcome[] | undefined) => void = () => undefined,
): BatchContext {
  // The same rates and seed as the realtime endpoints, so a batch line gets what the same body gets in realtime.
  const structured: BatchStructuredAnswers = {
    options: { rates: options.structured, seed: options.seed },
    record: recordStructured,
  };
  const files = new FileStore();
  const enqueued = new EnqueuedTokens(options.batchEnqueuedTokenLimit, stats);
  const lifetimeMs = options.batchLifetimeMs;
  const openaiBatches: BatchStore<OpenAIBatchPayload> = new BatchStore({
    idPrefix: 'batch_',
    lifetimeMs,
    stats,
    enqueued,
    describeStatus: describeOpenAIBatchStatus,
    onEnd: (batch) => {
      if (batch.ending === 'failed') {
        batch.payload.content = EMPTY;
        return;
      }
      const doneLines = openaiBatches.countDoneLines(batch, Date.now());
      const resolveLine = (index: number) => openaiBatches.resolveLine(batch, index, doneLines);
      const { output, errors } = buildOpenAIBatchOutput(
        batch,
        resolveLine,
        nextSequence,
        { rate: options.echoAuthRate, seed: options.seed },
        structured,
      );
      const dialect = batch.dialect === 'zhipu' ? 'zhipu' : 'openai';
      if (output !== undefined) {
        batch.payload.outputFileId = files.add(dialect, `${batch.id}_output.jsonl`, 'batch_output', output).id;
      }
      if (errors !== undefined) {
        batch.payload.errorFileId = files.add(dialect, `${batch.id}_error.jsonl`, 'batch_output', errors).id;
      }
      batch.payload.content = EMPTY;
    },
  });
  const anthropicBatches: BatchStore<AnthropicBatchPayload> = new BatchStore({
    idPrefix: 'msgbatch_',
    lifetimeMs,
    stats,
    enqueued,
    describeStatus: describeAnthropicBatchStatus,
    onEnd: (batch) => {
      const requests = batch.payload.requests ?? [];
      const doneLines = anthropicBatches.countDoneLines(batch, Date.now());
      const resolveLine = (index: number) => anthropicBatches.resolveLine(batch, index, doneLines);
      batch.payload.results = buildAnthropicBatchResults(requests, resolveLine, nextSequence, structured);
      batch.payload.requests = undefined;
    },
  });
  return {
    files,
    openaiBatches,
    anthropicBatches,
    enqueued,
    stats,
    rates: {
      batchFailRate: options.batchFailRate,
      lineFailRate: options.batchLineFailRate,
      lineExpireRate: options.batchLineExpireRate,
    },
    lifetimeMs,
    seed: options.seed,
    publicUrl: '',
    batchCount: 0,
    close: () => {
      openaiBatches.close();
      anthropicBatches.close();
    },
  };
}
