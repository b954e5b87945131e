/** The simulator as the CLI, the tests and the benchmarks start it: a server, its options and its counters. */
export { startSimulator, type SimulatorHandle } from './simulator-server.ts';
export {
  SIMULATOR_DEFAULTS,
  resolveSimulatorOptions,
  type FailureRates,
  type ResolvedSimulatorOptions,
  type SimulatorOptions,
  type StructuredRates,
} from './simulator-options.ts';
export type { SimulatorFaultCounts, SimulatorStats, StructuredAnswerCounts } from './simulator-stats.ts';
export { answerKey, answerText, embeddingVector } from './deterministic-answer.ts';
export { DEFAULT_EMBEDDING_DIMENSIONS, textEmbedding } from './text-embedding.ts';
export { estimateTokens } from './build-generation-answer.ts';
export { GENERATION_ENDPOINTS, toGenerationEndpoint, type GenerationEndpoint } from './generation-endpoint.ts';
export { FAULT_KINDS, createFaultPicker, type FaultKind } from './fault-injection.ts';
export { createSeededRandom } from './seeded-random.ts';
export { RpmLimiter, formatResetDuration, type RpmDecision, type RpmLimiterOptions } from './rpm-limiter.ts';
export type { OutageMode, OutageOptions } from './simulator-outage.ts';
export type { BatchStats, CountsByDialect } from './batch/batch-stats.ts';
export type { BatchDialect } from './batch/batch-dialect.ts';
export { convertAnthropicParamsToChatBody } from './batch/convert-anthropic-params.ts';
export { estimateRequestTokens } from './batch/estimate-request-tokens.ts';
export {
  generateSchemaValue,
  type GenerateSchemaValueOptions,
  type JsonSchema,
} from './structured/generate-schema-value.ts';
export { readStructuredRequest, type StructuredRequest } from './structured/read-structured-request.ts';
export {
  buildStructuredAnswer,
  type StructuredAnswer,
  type StructuredAnswerOptions,
} from './structured/build-structured-answer.ts';
export { STRUCTURED_KINDS, type StructuredKind } from './structured/draw-structured-kind.ts';
