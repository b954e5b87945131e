import { BatchpilotError } from './batchpilot-error.ts';

/** The input file as a whole cannot be used. Single bad lines are rejects, not errors. */
export class InputError extends BatchpilotError {}
