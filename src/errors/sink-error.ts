import { BatchpilotError } from './batchpilot-error.ts';

/**
 * A sink could not take a job's rows: unreachable or refusing for now (SINK_UNAVAILABLE, retried by the runner, then
 * the run stops resumable), a table whose schema cannot take the rows (SINK_SCHEMA_INCOMPATIBLE), the sink's
 * optional package not installed (SINK_DEPENDENCY_MISSING), or a failure that retrying cannot mend (SINK_FAILED).
 */
export class SinkError extends BatchpilotError {}
