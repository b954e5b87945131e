import { BatchpilotError } from './batchpilot-error.ts';

/** The job was stopped by a signal; its state is committed and it can be resumed. */
export class CancelledError extends BatchpilotError {
  constructor(message = 'interrupted; resume the job to carry on') {
    super('INTERRUPTED', message);
  }
}
