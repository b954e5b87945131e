import { MalformedResponseError } from '../../errors/index.ts';
import type { RealtimeProvider } from '../provider.ts';

/**
 * Texts in, one vector each out, in the texts' order. Throws the provider's errors as they are (a `ProviderError`
 * with its `kind` and `status`), so the caller decides what a failure means for it.
 */
export interface TextEmbedder {
  embedTexts(texts: readonly string[], signal?: AbortSignal): Promise<number[][]>;
}

export interface OpenAIEmbedderOptions {
  /** An OpenAI-compatible realtime provider (its base URL, key, proxy and body limits); redacted by the caller. */
  provider: RealtimeProvider;
  /** The embeddings model (`sinks[].vectors.model`). */
  model: string;
  /** Deadline of one request, in ms (`timeout_ms`). */
  timeoutMs: number;
  /**
   * Inputs per request; longer lists are sent in several requests, one after another. OpenAI takes 2,048.
   * @default 2048
   */
  maxInputsPerRequest?: number | undefined;
}

/** OpenAI's limit on `input` entries per embeddings request. */
const MAX_INPUTS_PER_REQUEST = 2048;

/**
 * Embeddings over an OpenAI-compatible endpoint: `POST {base_url}/embeddings` with `{model, input: [...]}`, whose
 * `data[].embedding` come back ordered by `data[].index` (the API does not promise the list's order). Sent through a
 * realtime provider, so the key, proxy, timeouts and error mapping are those of the job's model requests; no retry
 * here: whoever embeds retries (the sink runner).
 */
export function createOpenAIEmbedder(options: OpenAIEmbedderOptions): TextEmbedder {
  const perRequest = Math.max(1, options.maxInputsPerRequest ?? MAX_INPUTS_PER_REQUEST);
  const embedSome = async (texts: readonly string[], signal: AbortSignal | undefined): Promise<number[][]> => {
    const response = await options.provider.send(
      { method: 'POST', url: '/v1/embeddings', body: JSON.stringify({ model: options.model, input: texts }) },
      { timeoutMs: options.timeoutMs, ...(signal === undefined ? {} : { signal }) },
    );
    const parsed =
      response.parsed ??
      (JSON.parse(typeof response.body === 'string' ? response.body : response.body.toString('utf8')) as unknown);
    return readEmbeddings(parsed, texts.length, response.statusCode);
  };
  return {
    async embedTexts(texts, signal) {
      const vectors: number[][] = [];
      for (let start = 0; start < texts.length; start += perRequest) {
        vectors.push(...(await embedSome(texts.slice(start, start + perRequest), signal)));
      }
      return vectors;
    },
  };
}

/** `data[].embedding` by `index`; anything else than one array of numbers per input is a malformed answer. */
function readEmbeddings(body: unknown, count: number, status: number): number[][] {
  const data = (body as { data?: unknown } | null)?.data;
  const vectors: (number[] | undefined)[] = Array.from({ length: count }, () => undefined);
  if (Array.isArray(data)) {
    data.forEach((entry: unknown, position) => {
      const { index, embedding } = (entry ?? {}) as { index?: unknown; embedding?: unknown };
      const at = typeof index === 'number' ? index : position;
      if (!Number.isInteger(at) || at < 0 || at >= count || !Array.isArray(embedding)) return;
      if (embedding.every((value) => typeof value === 'number' && Number.isFinite(value))) {
        vectors[at] = embedding as number[];
      }
    });
  }
  const missing = vectors.filter((vector) => vector === undefined).length;
  if (missing > 0) {
    throw new MalformedResponseError(
      `malformed embeddings answer: ${String(missing)} of ${String(count)} inputs have no embedding (data[].embedding)`,
      { kind: 'malformed', status },
    );
  }
  return vectors as number[][];
}
