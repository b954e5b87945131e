import type { ItemError } from '../core/item.ts';
import { ProviderError } from '../errors/index.ts';
import type {
  BatchLineResult,
  BatchProvider,
  ProviderResponse,
  RealtimeProvider,
  RemoteBatch,
} from '../providers/provider.ts';
import { redactSecretBytes, redactSecrets } from '../util/redact.ts';

/**
 * The one gate between what an endpoint (or a command task) sends back and everything
 * batchpilot keeps: the store (`response_body`, `error_json`, chunk errors), hence
 * `output.jsonl`, `errors.jsonl` and the report, and the log and printed messages. An
 * endpoint may quote the request back (an error body with `Authorization: Bearer sk-...`),
 * so every body, error message, error body and header value a provider returns or throws
 * is passed through `redactSecrets` against the secrets in use before the engine sees it.
 *
 * Answers are masked for the known secrets only (a model may rightly write
 * `api_key="..."` in code); errors also for the key patterns.
 */

/** Answers: the known secrets only. */
function redactAnswer(body: string, secrets: readonly string[]): string;
function redactAnswer(body: string | Buffer, secrets: readonly string[]): string | Buffer;
function redactAnswer(body: string | Buffer, secrets: readonly string[]): string | Buffer {
  if (typeof body !== 'string') return redactSecretBytes(body, secrets);
  return redactSecrets(body, secrets, { patterns: false });
}

/** Errors: known secrets and key patterns. */
function redactError(text: string, secrets: readonly string[]): string {
  return redactSecrets(text, secrets);
}

function redactOptional(text: string | undefined, secrets: readonly string[]): string | undefined {
  return text === undefined ? undefined : redactError(text, secrets);
}

/**
 * Masks the text of a thrown error in place (message, stack, and a `ProviderError`'s body
 * and request id), keeping its class and fields for the retry policy.
 */
export function redactThrown(thrown: unknown, secrets: readonly string[]): unknown {
  if (!(thrown instanceof Error)) return thrown;
  thrown.message = redactError(thrown.message, secrets);
  if (thrown.stack !== undefined) thrown.stack = redactError(thrown.stack, secrets);
  if (thrown instanceof ProviderError) {
    // Readonly to the engine; rewritten here once, before anyone reads it.
    Object.assign(thrown, {
      body: redactOptional(thrown.body, secrets),
      requestId: redactOptional(thrown.requestId, secrets),
    });
  }
  return thrown;
}

/**
 * `call()`, its failure redacted. Not an async function: it wraps every realtime answer, and an async frame per
 * answer costs more than the answer's redaction.
 */
function guarded<T>(secrets: readonly string[], call: () => Promise<T>): Promise<T> {
  try {
    return call().catch((thrown: unknown) => {
      throw redactThrown(thrown, secrets);
    });
  } catch (thrown) {
    // A call that throws before it returns its promise is redacted the same way.
    return Promise.resolve().then(() => {
      throw redactThrown(thrown, secrets);
    });
  }
}

function redactResponse(response: ProviderResponse, secrets: readonly string[]): ProviderResponse {
  const body = redactAnswer(response.body, secrets);
  // One literal per answer, not a rest and a spread (this runs for every answer of a realtime run).
  const redacted: ProviderResponse = {
    statusCode: response.statusCode,
    requestId: response.requestId === null ? null : redactError(response.requestId, secrets),
    body,
    usage: response.usage,
    rateLimit: response.rateLimit,
  };
  // The parsed body holds what the text held: kept only when nothing was masked in the text.
  if (response.parsed !== undefined && body === response.body) redacted.parsed = response.parsed;
  return redacted;
}

function redactItemError(error: ItemError, secrets: readonly string[]): ItemError {
  return { ...error, code: redactError(error.code, secrets), message: redactError(error.message, secrets) };
}

function redactRemoteBatch(batch: RemoteBatch, secrets: readonly string[]): RemoteBatch {
  return {
    ...batch,
    rawStatus: redactError(batch.rawStatus, secrets),
    errors: batch.errors.map((error) => ({
      code: redactError(error.code, secrets),
      message: redactError(error.message, secrets),
    })),
  };
}

function redactLine(line: BatchLineResult, secrets: readonly string[]): BatchLineResult {
  if (line.kind === 'succeeded') {
    return {
      ...line,
      body: redactAnswer(line.body, secrets),
      requestId: line.requestId === null ? null : redactError(line.requestId, secrets),
    };
  }
  if (line.kind === 'errored') return { ...line, error: redactItemError(line.error, secrets) };
  return line;
}

/** `provider` with every answer and error redacted against `secrets` (see the file comment). */
export function redactRealtimeProvider(provider: RealtimeProvider, secrets: readonly string[]): RealtimeProvider {
  return {
    name: provider.name,
    send: (request, options) =>
      guarded(secrets, () => provider.send(request, options).then((response) => redactResponse(response, secrets))),
    close: () => provider.close(),
  };
}

/** `provider` with every remote batch, result line, notice and error redacted against `secrets`. */
export function redactBatchProvider(provider: BatchProvider, secrets: readonly string[]): BatchProvider {
  return {
    name: provider.name,
    limits: provider.limits,
    remoteId: (customId, seq) => provider.remoteId(customId, seq),
    encodeLine: (remoteId, request) => {
      const encoded = provider.encodeLine(remoteId, request);
      if (encoded.notices.length === 0) return encoded;
      return { ...encoded, notices: encoded.notices.map((notice) => redactError(notice, secrets)) };
    },
    prepareInput: (tag, path) => guarded(secrets, () => provider.prepareInput(tag, path)),
    findUpload: (tag) => guarded(secrets, () => provider.findUpload(tag)),
    createBatch: (tag, input) =>
      guarded(secrets, async () => redactRemoteBatch(await provider.createBatch(tag, input), secrets)),
    findBatch: (tag, options) =>
      guarded(secrets, async () => {
        const found = await provider.findBatch(tag, options);
        return found === null ? null : redactRemoteBatch(found, secrets);
      }),
    getBatch: (batchId) => guarded(secrets, async () => redactRemoteBatch(await provider.getBatch(batchId), secrets)),
    cancelBatch: (batchId) =>
      guarded(secrets, async () => redactRemoteBatch(await provider.cancelBatch(batchId), secrets)),
    readResults: (batch) => redactResults(provider.readResults(batch), secrets),
    close: () => provider.close(),
  };
}

async function* redactResults(
  lines: AsyncIterable<BatchLineResult>,
  secrets: readonly string[],
): AsyncIterable<BatchLineResult> {
  try {
    for await (const line of lines) yield redactLine(line, secrets);
  } catch (thrown) {
    throw redactThrown(thrown, secrets);
  }
}
