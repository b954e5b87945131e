import type { Dispatcher } from 'undici';
import type { DeadlineEntry } from './deadlines.ts';

/** Response headers as undici gives them. */
export type AnswerHeaders = Record<string, string | string[] | undefined>;

/** A response as read: its status and headers, and its body bounded (see `AnswerReader`). */
export interface RawAnswer {
  statusCode: number;
  headers: AnswerHeaders;
  /** The body, or its first `keepBytes`; empty when the announced length alone was over the limit. */
  bytes: Buffer;
  /** Bytes the server sent (or announced, when reading stopped before the end). */
  totalBytes: number;
  /** More than `maxBytes`: reading stopped early and the request was abandoned. */
  overLimit: boolean;
}

export interface AnswerReaderOptions {
  /** Past this many bytes reading stops: the body is over the limit (`max_response_bytes`). */
  maxBytes: number;
  /**
   * Of an answer that is not a success (status outside 2xx), keep only this many bytes and count the rest (only a
   * head of an error body is stored); reading still stops past `maxBytes`, or at once when the server announced
   * more than that.
   */
  errorKeepBytes: number;
}

const EMPTY = Buffer.alloc(0);

/** Why a reader was abandoned: its deadline passed (`timedOut`) or its caller stopped it. */
export class AnswerAbandoned extends Error {
  readonly timedOut: boolean;
  constructor(timedOut: boolean) {
    super(timedOut ? 'the deadline passed' : 'abandoned');
    this.name = 'AbortError';
    this.timedOut = timedOut;
  }
}

/**
 * One request's answer, read as undici's dispatcher delivers it (a dispatch handler) into ONE
 * buffer, never holding more than `maxBytes` (or `errorKeepBytes` of an error): bytes are counted
 * as they arrive, so an endless or huge body costs at most the limit. With a `content-length` the
 * buffer is allocated once at that size; without one the chunks are kept and joined once at the
 * end. Nothing is decoded here.
 *
 * This replaces undici's `request()` on the hot path: no body stream and no async iteration over
 * it, no AbortSignal and timer per request (the provider's `Deadlines` hold the deadline, and
 * `abandon` stops the request at any point, queued or answering).
 */
export class AnswerReader implements Dispatcher.DispatchHandler, DeadlineEntry {
  readonly done: Promise<RawAnswer>;
  /** The job's stop signal the request was sent under, to abandon it when that fires. */
  readonly signal: AbortSignal | undefined;
  deadlineAt = 0;
  previousDeadline: DeadlineEntry | null = null;
  nextDeadline: DeadlineEntry | null = null;

  private readonly maxBytes: number;
  private readonly errorKeepBytes: number;
  private resolve!: (answer: RawAnswer) => void;
  private reject!: (error: Error) => void;
  private controller: Dispatcher.DispatchController | null = null;
  private abandoned: AnswerAbandoned | null = null;
  private settled = false;
  private statusCode = 0;
  private headers: AnswerHeaders = {};
  private keepBytes = 0;
  private announced: number | undefined;
  /** The server announced more than `maxBytes`. */
  private announcedOver = false;
  private target: Buffer | undefined;
  private parts: Buffer[] = [];
  private kept = 0;
  private total = 0;

  constructor(options: AnswerReaderOptions, signal: AbortSignal | undefined) {
    this.maxBytes = options.maxBytes;
    this.errorKeepBytes = options.errorKeepBytes;
    this.signal = signal;
    this.done = new Promise<RawAnswer>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Stops the request wherever it is; `done` rejects with `AnswerAbandoned` at once. */
  abandon(timedOut: boolean): void {
    if (this.settled) return;
    this.abandoned = new AnswerAbandoned(timedOut);
    this.fail(this.abandoned);
    // Not yet on a connection: stopped when it gets one (onRequestStart).
    this.controller?.abort(this.abandoned);
  }

  expire(): void {
    this.abandon(true);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abandoned !== null) controller.abort(this.abandoned);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: AnswerHeaders): void {
    if (this.settled) return;
    this.statusCode = statusCode;
    this.headers = headers;
    const ok = statusCode >= 200 && statusCode < 300;
    this.keepBytes = ok ? this.maxBytes : Math.min(this.errorKeepBytes, this.maxBytes);
    const length = headers['content-length'];
    this.announced = typeof length === 'string' && /^\d+$/.test(length) ? Number(length) : undefined;
    this.announcedOver = this.announced !== undefined && this.announced > this.maxBytes;
    // The whole body was wanted and the server already said it is too large: not one byte is worth reading.
    if (this.announcedOver && this.keepBytes === this.maxBytes) {
      this.finish(EMPTY, this.announced ?? 0, true);
      controller.abort(new AnswerAbandoned(false));
      return;
    }
    if (this.announced !== undefined) this.target = Buffer.allocUnsafe(Math.min(this.announced, this.keepBytes));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    this.total += chunk.length;
    const { keepBytes, target } = this;
    if (this.kept < keepBytes) {
      // An announced length sized `target` (never more than `keepBytes`).
      const take = Math.min(chunk.length, (target?.length ?? keepBytes) - this.kept);
      const piece = take === chunk.length ? chunk : chunk.subarray(0, take);
      if (target !== undefined) target.set(piece, this.kept);
      else this.parts.push(piece);
      this.kept += take;
    }
    if (this.total > this.maxBytes || (this.announcedOver && this.kept >= keepBytes)) {
      this.finish(this.body(), Math.max(this.total, this.announced ?? 0), true);
      controller.abort(new AnswerAbandoned(false));
    }
  }

  onResponseEnd(): void {
    if (this.settled) return;
    this.finish(this.body(), this.total, false);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.fail(error);
  }

  private body(): Buffer {
    if (this.target !== undefined) return this.target.subarray(0, this.kept);
    const { parts } = this;
    const [only] = parts;
    if (parts.length === 1 && only !== undefined) return only;
    return parts.length === 0 ? EMPTY : Buffer.concat(parts, this.kept);
  }

  private finish(bytes: Buffer, totalBytes: number, overLimit: boolean): void {
    this.settled = true;
    this.parts = [];
    this.resolve({ statusCode: this.statusCode, headers: this.headers, bytes, totalBytes, overLimit });
  }

  private fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.parts = [];
    this.reject(error);
  }
}
