import { BatchpilotError } from './batchpilot-error.ts';

/** A wrong flag, key, file or value in the configuration. */
export class ConfigError extends BatchpilotError {}

/** A wrong command line (unknown job, bad combination of flags). */
export class UsageError extends BatchpilotError {}
