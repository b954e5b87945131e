import { BatchpilotError } from './batchpilot-error.ts';

/** The state store failed, or refused an operation (locked job, unknown job). */
export class StoreError extends BatchpilotError {}
