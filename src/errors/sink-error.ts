import { BatchpilotError, type BatchpilotErrorOptions } from './batchpilot-error.ts';

/**
 * A sink could not take a job's rows: unreachable or refusing for now (SINK_UNAVAILABLE, retried by the runner, then
 * the run stops resumable), a table whose schema cannot take the rows (SINK_SCHEMA_INCOMPATIBLE), the sink's
 * optional package not installed (SINK_DEPENDENCY_MISSING), or a failure that retrying cannot mend (SINK_FAILED).
 */
export class SinkError extends BatchpilotError {
  /** How long the sink asked to be left alone before the next try (a 429's or 503's `Retry-After`), in ms. */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: BatchpilotError['code'],
    message: string,
    options: BatchpilotErrorOptions & { retryAfterMs?: number | undefined } = {},
  ) {
    super(code, message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
}
