import { registerSecret } from '../util/redact.ts';
import { parseRetryAfter } from '../util/parse-retry-after.ts';
import { request, type Dispatcher } from 'undici';
import type { HttpSinkConfig } from '../config/sinks-config-schema.ts';
import { SinkError } from '../errors/sink-error.ts';
import { projectRow } from './project-row.ts';
import type { Sink, SinkBatch } from './sink.ts';
import type { SinkContext } from './sink-context.ts';

/** `${NAME}` in a header value: filled from the environment when the sink opens. */
const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * A webhook: each batch is one POST of `{"batch_no": N, "rows": [...]}` with `Idempotency-Key: job:sink:N`, so a
 * receiver can drop a replay of a batch it already took (the runner writes a batch again after a crash).
 * Connection failures, timeouts, 408, 429 and 5xx throw SINK_UNAVAILABLE (the runner retries); another 4xx throws
 * SINK_FAILED (the receiver refuses the rows; retrying would not change its mind). Header values (tokens) never
 * reach a message: errors name the sink, the URL without its query, and the status.
 */
export class HttpSink implements Sink {
  readonly name: string;
  private readonly config: HttpSinkConfig;
  private readonly context: SinkContext;
  private readonly dispatcher: Dispatcher | undefined;
  private headers: Record<string, string> = {};

  constructor(config: HttpSinkConfig, context: SinkContext) {
    this.name = config.name;
    this.config = config;
    this.context = context;
    this.dispatcher = context.dispatcher;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async so a missing variable rejects, never throws
  async open(): Promise<void> {
    const env = this.context.env ?? {};
    const headers: Record<string, string> = {};
    for (const [header, value] of Object.entries(this.config.headers)) {
      headers[header] = value.replace(REFERENCE, (_whole, variable: string) => {
        const found = env[variable];
        if (found === undefined || found === '') {
          throw new SinkError(
            'SINK_FAILED',
            `sink "${this.name}": header ${header} names $${variable}, which is not set; export it and run again`,
            { context: { key: `headers.${header}` } },
          );
        }
        // A token from the environment is masked wherever the process writes, as the API key is.
        registerSecret(found);
        return found;
      });
    }
    this.headers = headers;
  }

  async write(batch: SinkBatch): Promise<void> {
    const body = JSON.stringify({
      batch_no: batch.batchNo,
      rows: batch.rows.map((row) => projectRow(row.row, this.config.fields)),
    });
    const where = `POST ${this.target()} (batch ${String(batch.batchNo)})`;
    let status: number;
    let retryAfterMs: number | undefined;
    try {
      const response = await request(this.config.url, {
        method: 'POST',
        body,
        headers: {
          ...this.headers,
          'content-type': 'application/json',
          'idempotency-key': `${this.context.jobId}:${this.name}:${String(batch.batchNo)}`,
        },
        headersTimeout: this.config.timeout_ms,
        bodyTimeout: this.config.timeout_ms,
        signal: AbortSignal.timeout(this.config.timeout_ms),
        ...(this.dispatcher === undefined ? {} : { dispatcher: this.dispatcher }),
      });
      status = response.statusCode;
      retryAfterMs = parseRetryAfter(
        headerText(response.headers['retry-after-ms']),
        headerText(response.headers['retry-after']),
        Date.now(),
      );
      await response.body.dump();
    } catch (error) {
      const code = (error as { code?: unknown; name?: unknown }).code ?? (error as { name?: unknown }).name;
      throw new SinkError('SINK_UNAVAILABLE', `sink "${this.name}": ${where} failed (${String(code)})`);
    }
    if (status >= 200 && status < 300) return;
    const retryable = status === 408 || status === 429 || status >= 500;
    throw new SinkError(
      retryable ? 'SINK_UNAVAILABLE' : 'SINK_FAILED',
      `sink "${this.name}": ${where} answered ${String(status)}` +
        (retryable ? '' : '; the receiver refuses the batch: check its URL and headers (sinks[].url, headers)'),
      retryable ? { retryAfterMs } : {},
    );
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** The URL without user info or query (either may hold a token). */
  private target(): string {
    const url = new URL(this.config.url);
    return `${url.protocol}//${url.host}${url.pathname}`;
  }
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
