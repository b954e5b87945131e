import type { ResolvedConfig } from '../config/config-schema.ts';
import { ProviderError, SinkError } from '../errors/index.ts';
import { createRealtimeProvider } from '../providers/create-provider.ts';
import { createOpenAIEmbedder } from '../providers/openai/openai-embedder.ts';
import type { Embed } from '../sinks/sink-context.ts';
import { knownSecrets } from '../util/redact.ts';
import { redactRealtimeProvider } from './redact-provider.ts';

export interface SinkEmbedderOptions {
  config: ResolvedConfig;
  /** The endpoint asked: the job's `base_url`, or the simulator's with `--simulate`. */
  baseUrl: string;
  /** The sink that embeds and its job, named in its errors. */
  sinkName: string;
  jobId: string;
  /** `sinks[].vectors.model`. */
  model: string;
}

/** An `Embed` for one sink and what closes its connections (after the sink). */
export interface SinkEmbedder {
  embed: Embed;
  close(): Promise<void>;
}

/**
 * The embedder a LanceDB sink with `vectors:` is given (decision 0027): `/v1/embeddings` of the job's endpoint with
 * the job's key, proxy, `timeout_ms`, `idle_timeout_ms` and `max_response_bytes`, through a provider of its own
 * (one connection: one sink writes one batch at a time). Everything the endpoint sends back is redacted against the
 * secrets in use before anyone reads it, as for model requests. A failure becomes the sink runner's vocabulary:
 * no answer, a timeout, 408, 429, 5xx or a malformed answer is SINK_UNAVAILABLE (retried with backoff); any other
 * status (a refused key, an unknown model) is SINK_FAILED naming the sink, the status and the key to fix.
 */
export function createSinkEmbedder(options: SinkEmbedderOptions): SinkEmbedder {
  const { config } = options;
  const secrets = Object.freeze([...(config.apiKey === null ? [] : [config.apiKey]), ...knownSecrets()]);
  const provider = redactRealtimeProvider(
    createRealtimeProvider({
      provider: 'openai',
      baseUrl: options.baseUrl,
      apiKey: config.apiKey,
      concurrency: 1,
      workDir: '',
      commandTargets: {},
      env: {},
      proxy: config.proxy,
      maxResponseBytes: config.max_response_bytes,
      idleTimeoutMs: config.idle_timeout_ms,
    }),
    secrets,
  );
  const embedder = createOpenAIEmbedder({ provider, model: options.model, timeoutMs: config.timeout_ms });
  let closed: Promise<void> | undefined;
  return {
    embed: async (texts) => {
      try {
        return await embedder.embedTexts(texts);
      } catch (error) {
        throw toSinkError(error, options);
      }
    },
    close: () => (closed ??= provider.close()),
  };
}

const RETRIED_KINDS: ReadonlySet<string> = new Set(['connection', 'timeout', 'malformed', 'aborted']);

function toSinkError(error: unknown, options: SinkEmbedderOptions): SinkError {
  const sink = `sink "${options.sinkName}"`;
  if (!(error instanceof ProviderError)) {
    const message = error instanceof Error ? error.message : String(error);
    return new SinkError('SINK_UNAVAILABLE', `${sink}: embeddings request failed: ${message}`, { cause: error });
  }
  const status = error.status;
  const retried =
    RETRIED_KINDS.has(error.kind) || (status !== undefined && (status === 408 || status === 429 || status >= 500));
  if (retried) {
    return new SinkError('SINK_UNAVAILABLE', `${sink}: embeddings request failed: ${error.message}`, {
      cause: error,
    });
  }
  const fix =
    status === 401 || status === 403
      ? 'the endpoint refused the API key (api_key_env); set a key that may use embeddings'
      : error.kind === 'response_too_large'
        ? "lower the sink's every (texts per request) or raise max_response_bytes"
        : `check the sink's vectors.model ("${options.model}") and that base_url serves /embeddings`;
  return new SinkError(
    'SINK_FAILED',
    `${sink}: embeddings request refused: ${error.message}; ${fix}, then run "batchpilot sink ${options.jobId} --sink ${options.sinkName}"`,
    { cause: error, context: { key: 'vectors' } },
  );
}
