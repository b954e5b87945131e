import type { BatchContext } from './batch/batch-context.ts';
import type { FaultKind } from './fault-injection.ts';
import type { RpmLimiter } from './rpm-limiter.ts';
import type { ResolvedSimulatorOptions } from './simulator-options.ts';
import type { SimulatorStatsRecorder } from './simulator-stats.ts';
import type { StructuredAnswerOptions } from './structured/build-structured-answer.ts';

/** The per-server state every handler reads; one object per server, so handlers need no per-request closures. */
export interface SimulatorContext {
  readonly options: ResolvedSimulatorOptions;
  readonly stats: SimulatorStatsRecorder;
  readonly limiter: RpmLimiter | undefined;
  readonly pickFault: () => FaultKind | undefined;
  /** A PRNG separate from the fault one, so turning jitter on does not move the faults to other requests. */
  readonly jitterRandom: () => number;
  /** `Bearer <apiKey>`, or undefined when no key is required. */
  readonly expectedAuthorization: string | undefined;
  readonly hangTimers: Set<NodeJS.Timeout>;
  /** Fault rates and seed of structured (JSON) answers, realtime and batch alike. */
  readonly structuredAnswers: StructuredAnswerOptions;
  /** Files and batches; see batch/batch-context.ts. */
  readonly batch: BatchContext;
  /** True when this embeddings request gets the `embeddingErrorRate` 500 (a draw of its own PRNG). */
  readonly embeddingFault: () => boolean;
  /** Numbers `x-request-id` and answer ids. */
  sequence: number;
}
