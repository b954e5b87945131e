import { type ErrorCode, exitCodeFor } from './codes.ts';

/** Where a user mistake sits, so the message and `--json` output can name it. */
export interface ErrorContext {
  file?: string;
  line?: number;
  key?: string;
  flag?: string;
  customId?: string;
  jobId?: string;
}

export interface BatchpilotErrorOptions {
  cause?: unknown;
  context?: ErrorContext;
}

/**
 * Base of every error batchpilot raises on purpose. The CLI prints `message`
 * without a stack for these; anything else is a bug and keeps its stack.
 */
export class BatchpilotError extends Error {
  readonly code: ErrorCode;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, options: BatchpilotErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.context = options.context ?? {};
  }

  get exitCode(): number {
    return exitCodeFor(this.code);
  }

  toJSON(): { code: ErrorCode; message: string; context: ErrorContext } {
    return { code: this.code, message: this.message, context: this.context };
  }
}
