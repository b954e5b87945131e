/**
 * The public library: `import { runJob } from 'batchpilot'`. Everything exported here is the API (its TSDoc is the
 * reference, decision 0012); every other module is internal and may change in any release. Named exports only, no
 * `export *`, so nothing becomes public by accident.
 */

export { runJob, type RunJobOptions } from './compose/api/run-job.ts';
export { createJob, type CreateJobOptions, type CreatedJob, type JobInputSource } from './compose/api/create-job.ts';
export { resumeJob, type ResumeJobOptions } from './compose/api/resume-job.ts';
export { planJob, type PlanJobOptions, type JobPlanResult } from './compose/api/plan-job.ts';
export { collectJob, type CollectJobOptions, type CollectedJobResult } from './compose/api/collect-job.ts';
export type { RunControlOptions } from './compose/api/run-options.ts';
export type { JobResult, JobFiles, JobOutcome } from './compose/api/job-result.ts';
export type { RunProgress } from './compose/run-progress.ts';
export type { JobReport } from './output/build-report.ts';
export type { IntegrationReport, PromptIntegration, IntegrationCounts } from './output/integration-report.ts';
export type { JobPlan } from './plan/plan-job.ts';
export type { Approvals, CapViolation } from './plan/check-safety-caps.ts';

export { defineConfig } from './config/define-config.ts';
export type { BatchpilotConfig } from './config/config-schema.ts';

export { startSimulator } from './simulator/simulator-server.ts';
export type { SimulatorHandle } from './simulator/simulator-server.ts';
export type { SimulatorOptions, FailureRates, StructuredRates } from './simulator/simulator-options.ts';
export type { SimulatorStats, StructuredAnswerCounts } from './simulator/simulator-stats.ts';

export {
  ERROR_CODES,
  BatchpilotError,
  ConfigError,
  UsageError,
  InputError,
  StoreError,
  EndpointError,
  ProviderError,
  AuthenticationError,
  RateLimitError,
  InternalServerError,
  ConnectionError,
  TimeoutError,
  MalformedResponseError,
  ResponseTooLargeError,
  type ErrorCode,
  type ErrorContext,
} from './errors/index.ts';
