import { requestModel, type PreparedRequest } from '../../core/item.ts';
import type { LineParser } from '../../input/parse-input-line.ts';
import type { LineReader } from '../../input/read-line-at.ts';
import type { TokenEstimator } from '../../plan/estimate-tokens.ts';
import type { BatchProvider } from '../../providers/provider.ts';
import type { OpenItem, Store } from '../../store/store.ts';
import { storedReask, type AnswerReview } from '../answer-review.ts';

export interface ChunkLimits {
  maxRequests: number;
  maxBytes: number;
  /** 0 = no token bound. */
  maxTokens: number;
  /** What the chunk may cost at most (`limits.budget_usd` left); Infinity = no budget. */
  maxCostUsd: number;
}

export interface PlannedChunk {
  seqs: number[];
  bytes: number;
  tokens: number;
  /** The endpoint every line of the chunk targets (a batch has one). */
  url: string;
  model: string | null;
  /** Estimated cost at batch prices (0 without a budget). */
  costUsd: number;
  /** The cost bound cut the chunk short: what is left of the budget cannot pay for the next line. */
  budgetStop: boolean;
  /** What the provider said it does not send of the lines it encoded (see `EncodedLine`), to be told. */
  notices: string[];
}

export interface ChunkSource {
  store: Store;
  jobId: string;
  /** Where the items' lines are read: the input file, or (a worker's) the lines kept in the store. */
  reader: Pick<LineReader, 'readMany'>;
  parser: LineParser;
  provider: BatchProvider;
  /** Present only when `batch.max_enqueued_tokens` is set. */
  estimateTokens: TokenEstimator | null;
  /** A request's estimated cost at batch prices; present only with `limits.budget_usd`. */
  costRequest?: ((request: PreparedRequest) => number) | null;
  /**
   * Checks answers as chunks are merged and rebuilds the requests of re-asked items (docs/decisions/0019).
   * Unset: answers are merged as they came.
   */
  review?: AnswerReview | undefined;
  /** Admission by need (docs/decisions/0028): only the pending items it admits are cut. Unset: every pending item. */
  admits?: ((item: OpenItem) => boolean) | undefined;
}

const PAGE = 1000;

/**
 * Picks the next chunk from the pending items, in input order: the first pending item
 * fixes the chunk's endpoint (and model, where the provider wants one per batch) and its
 * re-ask wave (items re-asked N times go only with others re-asked N times: a wave is a
 * batch of its own, docs/decisions/0019); items of other kinds stay pending for a later chunk. Stops at the first limit reached. Commits
 * nothing: the caller creates the chunk. Null when nothing is pending; a chunk with
 * `budgetStop` (and perhaps no line at all) when the budget left cannot pay for the next line. With a `draft`, the
 * chunk's lines are written to it as they are taken, encoded as its file has them.
 */
export async function planNextChunk(
  source: ChunkSource,
  limits: ChunkLimits,
  draft?: { writeLine(line: string): Promise<void> },
): Promise<PlannedChunk | null> {
  const { store, jobId, provider } = source;
  let key: string | undefined;
  const chunk: PlannedChunk = {
    seqs: [],
    bytes: 0,
    tokens: 0,
    url: '',
    model: null,
    costUsd: 0,
    budgetStop: false,
    notices: [],
  };
  const pending = store.pendingItems(jobId);
  const items = source.admits === undefined ? pending : onlyAdmitted(pending, source.admits);
  for await (const { item, request } of readItemRequests(source, items)) {
    const model = requestModel(request);
    const endpointKey = provider.limits.oneModelPerBatch ? `${request.url}\n${model ?? ''}` : request.url;
    const itemKey = item.reasks === undefined ? endpointKey : `${endpointKey}\n${String(item.reasks)}`;
    if (key === undefined) {
      key = itemKey;
      chunk.url = request.url;
      chunk.model = model;
    } else if (itemKey !== key) {
      continue;
    }
    const encoded = provider.encodeLine(provider.remoteId(item.customId, item.seq), request);
    chunk.notices.push(...encoded.notices);
    const bytes = Buffer.byteLength(encoded.line) + 1;
    const tokens = source.estimateTokens?.(request.body) ?? 0;
    const cost = source.costRequest?.(request) ?? 0;
    const full =
      chunk.seqs.length >= limits.maxRequests ||
      chunk.bytes + bytes > limits.maxBytes ||
      (limits.maxTokens > 0 && chunk.tokens + tokens > limits.maxTokens);
    // A line too big for any chunk still goes alone: the provider's answer then fails that item, visibly.
    if (full && chunk.seqs.length > 0) return chunk;
    // The budget, unlike a size limit, lets nothing through: a line it cannot pay for is not sent.
    if (chunk.costUsd + cost > limits.maxCostUsd) {
      chunk.budgetStop = true;
      return chunk;
    }
    chunk.seqs.push(item.seq);
    await draft?.writeLine(encoded.line);
    chunk.bytes += bytes;
    chunk.tokens += tokens;
    chunk.costUsd += cost;
  }
  return chunk.seqs.length === 0 ? null : chunk;
}

async function* onlyAdmitted(
  items: AsyncIterable<OpenItem>,
  admits: (item: OpenItem) => boolean,
): AsyncGenerator<OpenItem> {
  for await (const item of items) if (admits(item)) yield item;
}

/**
 * The items listed, each with the request its line stands for, re-read from the input by
 * offset `PAGE` lines at a time; a re-asked item's request is its re-ask, rebuilt from the
 * line and the answer and check the store kept (`AnswerReview.reask` is deterministic).
 */
export async function* readItemRequests(
  source: Pick<ChunkSource, 'reader' | 'parser' | 'review'>,
  items: AsyncIterable<OpenItem>,
): AsyncGenerator<{ item: OpenItem; request: PreparedRequest }> {
  let page: OpenItem[] = [];
  for await (const item of items) {
    page.push(item);
    if (page.length < PAGE) continue;
    yield* readPage(source, page);
    page = [];
  }
  yield* readPage(source, page);
}

async function* readPage(
  source: Pick<ChunkSource, 'reader' | 'parser' | 'review'>,
  page: readonly OpenItem[],
): AsyncGenerator<{ item: OpenItem; request: PreparedRequest }> {
  if (page.length === 0) return;
  const texts = await source.reader.readMany(page);
  for (const [index, item] of page.entries()) {
    const request = parseRequest(source.parser, item, texts[index] ?? '');
    if (request === null) continue;
    yield { item, request: storedReask(source.review, item, request) ?? request };
  }
}

/** The request an item's line stands for. The fingerprint check makes a failure here unreachable short of a hand-edited file. */
export function parseRequest(
  parser: LineParser,
  item: { lineNo: number; byteLength: number },
  text: string,
): PreparedRequest | null {
  const parsed = parser.parse({ lineNo: item.lineNo, byteLength: item.byteLength, text });
  return parsed.ok ? parsed.request : null;
}
