import { requestModel } from '../core/item.ts';
import { createLineParser, type LineParserOptions } from '../input/parse-input-line.ts';
import { readJsonlLineBatches } from '../input/read-jsonl-lines.ts';
import { createTokenCounter, outputBound } from './estimate-tokens.ts';
import { BATCH_PRICE_FACTOR, costUsd, findPrice, type ModelPrice } from './price-table.ts';

/** The provider's per-batch limits, for counting chunks in batch mode. */
export interface PlanChunkLimits {
  maxRequests: number;
  maxBytes: number;
  oneModelPerBatch: boolean;
}

export interface PlanOptions {
  inputPath: string;
  parser: LineParserOptions;
  maxLineBytes: number;
  limit: number;
  /** Batch mode: count chunks under these limits. */
  chunkLimits: PlanChunkLimits | null;
  prices: Readonly<Record<string, ModelPrice>>;
  /** Count tokens (js-tiktoken); without it only items and rejects are counted, which is much faster. */
  countTokens: boolean;
  /**
   * Which group an item belongs to (a data job's prompt), for a breakdown in `groups`: asked once per planned item,
   * in line order, so an answer may come from a file read alongside the input. Without it there is no `groups`.
   */
  groupOf?: PlanGroupOf;
}

/** The group of the item on `line` (1-based) with this custom_id. */
export type PlanGroupOf = (item: { line: number; customId: string }) => string | Promise<string>;

/** One group's share of the plan: its items, tokens and cost, summed over its models. */
export interface GroupPlan {
  group: string;
  items: number;
  input_tokens: number;
  output_tokens_bound: number;
  output_tokens_expected: number;
  /** Over the group's priced models; null when tokens are not counted or none of its models has a price. */
  cost_realtime_usd: number | null;
  cost_batch_usd: number | null;
  /** The group's models without a price (their tokens are counted, their cost is not). */
  unpriced_models: string[];
}

export interface ModelPlan {
  model: string;
  items: number;
  input_tokens: number;
  output_tokens_bound: number;
  output_tokens_expected: number;
  price: ModelPrice | null;
  cost_realtime_usd: number | null;
  cost_batch_usd: number | null;
}

export interface JobPlan {
  input: string;
  lines: number;
  items: number;
  rejected: number;
  rejects_sample: { line: number; reason: string }[];
  left_out_by_limit: number;
  models: ModelPlan[];
  tokens: { input: number; output_bound: number; output_expected: number } | null;
  cost: { realtime_usd: number; batch_usd: number; at_most_realtime_usd: number; unpriced_models: string[] } | null;
  chunks: number | null;
  /** How `output_tokens_expected` is reckoned, printed with the figures. */
  assumptions: string;
  /** Per group, in the order first met; only with `groupOf`. */
  groups?: GroupPlan[];
}

/** Output tokens assumed for a request that sets no bound, and the share of a bound expected to be used. */
export const OUTPUT_TOKENS_WITHOUT_BOUND = 1024;
export const EXPECTED_SHARE_OF_BOUND = 0.5;
const REJECT_SAMPLE = 10;

interface OpenChunk {
  items: number;
  bytes: number;
}

/**
 * The dry run behind `batchpilot plan` (SPEC section 10): reads and validates every line as
 * `run` would, and counts items, rejects, tokens, cost and chunks. Sends nothing.
 */
export async function planJob(options: PlanOptions): Promise<JobPlan> {
  const parser = createLineParser(options.parser);
  const count = options.countTokens ? await createTokenCounter() : null;
  const seen = new Set<string>();
  const models = new Map<string, ModelPlan>();
  const groups = options.groupOf === undefined ? undefined : new Map<string, Map<string, ModelPlan>>();
  const plan: JobPlan = {
    input: options.inputPath,
    lines: 0,
    items: 0,
    rejected: 0,
    rejects_sample: [],
    left_out_by_limit: 0,
    models: [],
    tokens: null,
    cost: null,
    chunks: null,
    assumptions: `expected output = ${String(EXPECTED_SHARE_OF_BOUND * 100)}% of each request's max_tokens (${String(OUTPUT_TOKENS_WITHOUT_BOUND)} when it sets none); input tokens counted with o200k_base over the request body (a slight overestimate)`,
  };
  const chunks = new Map<string, OpenChunk>();
  let closedChunks = 0;
  const reject = (line: number, reason: string): void => {
    plan.rejected += 1;
    if (plan.rejects_sample.length < REJECT_SAMPLE) plan.rejects_sample.push({ line, reason });
  };
  for await (const batch of readJsonlLineBatches(options.inputPath, { maxLineBytes: options.maxLineBytes })) {
    for (const line of batch) {
      plan.lines = line.lineNo;
      const parsed = parser.parse(line);
      if (!parsed.ok) {
        reject(parsed.reject.line, parsed.reject.reason);
        continue;
      }
      if (seen.has(parsed.customId)) {
        reject(line.lineNo, `duplicate custom_id "${parsed.customId}"; make custom_id unique`);
        continue;
      }
      seen.add(parsed.customId);
      if (options.limit > 0 && plan.items >= options.limit) {
        plan.left_out_by_limit += 1;
        continue;
      }
      plan.items += 1;
      const body = parsed.request.body;
      const model = requestModel(parsed.request) ?? '(no model)';
      const entry = models.get(model) ?? newModelPlan(model, options.prices);
      models.set(model, entry);
      const inputTokens = count === null ? null : count(body);
      addItem(entry, body, inputTokens);
      if (groups !== undefined && options.groupOf !== undefined) {
        const group = await options.groupOf({ line: line.lineNo, customId: parsed.customId });
        const groupModels = groups.get(group) ?? new Map<string, ModelPlan>();
        groups.set(group, groupModels);
        const groupEntry = groupModels.get(model) ?? newModelPlan(model, options.prices);
        groupModels.set(model, groupEntry);
        addItem(groupEntry, body, inputTokens);
      }
      if (options.chunkLimits !== null) {
        closedChunks += addToChunk(chunks, options.chunkLimits, parsed.request.url, model, line.byteLength + 1);
      }
    }
  }
  plan.models = [...models.values()].sort((a, b) => b.items - a.items);
  if (options.chunkLimits !== null) plan.chunks = closedChunks + chunks.size;
  if (count !== null) summarizeCost(plan);
  if (groups !== undefined) {
    plan.groups = [...groups].map(([group, groupModels]) => summarizeGroup(group, groupModels, count !== null));
  }
  return plan;
}

/** Counts one item into a model's figures; tokens stay 0 when they are not counted (`inputTokens` null). */
function addItem(entry: ModelPlan, body: string, inputTokens: number | null): void {
  entry.items += 1;
  if (inputTokens === null) return;
  const bound = outputBound(body);
  entry.input_tokens += inputTokens;
  entry.output_tokens_bound += bound ?? OUTPUT_TOKENS_WITHOUT_BOUND;
  entry.output_tokens_expected += Math.round(
    bound === undefined ? OUTPUT_TOKENS_WITHOUT_BOUND : bound * EXPECTED_SHARE_OF_BOUND,
  );
}

/** A group's figures: its models summed, each priced as the plan's models are (so groups add up to the totals). */
function summarizeGroup(group: string, groupModels: Map<string, ModelPlan>, counted: boolean): GroupPlan {
  const plan: GroupPlan = {
    group,
    items: 0,
    input_tokens: 0,
    output_tokens_bound: 0,
    output_tokens_expected: 0,
    cost_realtime_usd: null,
    cost_batch_usd: null,
    unpriced_models: [],
  };
  let realtime = 0;
  for (const model of groupModels.values()) {
    plan.items += model.items;
    plan.input_tokens += model.input_tokens;
    plan.output_tokens_bound += model.output_tokens_bound;
    plan.output_tokens_expected += model.output_tokens_expected;
    if (model.price === null) plan.unpriced_models.push(model.model);
    else realtime += costUsd(model.price, model.input_tokens, model.output_tokens_expected);
  }
  // A group none of whose models has a price has no cost, rather than a cost of 0.
  if (counted && plan.unpriced_models.length < groupModels.size) {
    plan.cost_realtime_usd = round(realtime);
    plan.cost_batch_usd = round(plan.cost_realtime_usd * BATCH_PRICE_FACTOR);
  }
  return plan;
}

function newModelPlan(model: string, prices: Readonly<Record<string, ModelPrice>>): ModelPlan {
  return {
    model,
    items: 0,
    input_tokens: 0,
    output_tokens_bound: 0,
    output_tokens_expected: 0,
    price: findPrice(model, prices) ?? null,
    cost_realtime_usd: null,
    cost_batch_usd: null,
  };
}

/** Adds an item to its group's open chunk; returns 1 when that chunk was full and closed. */
function addToChunk(
  chunks: Map<string, OpenChunk>,
  limits: PlanChunkLimits,
  url: string,
  model: string,
  bytes: number,
): number {
  const key = limits.oneModelPerBatch ? `${url}\n${model}` : url;
  const open = chunks.get(key);
  if (open !== undefined && open.items < limits.maxRequests && open.bytes + bytes <= limits.maxBytes) {
    open.items += 1;
    open.bytes += bytes;
    return 0;
  }
  chunks.set(key, { items: 1, bytes });
  return open === undefined ? 0 : 1;
}

function summarizeCost(plan: JobPlan): void {
  const tokens = { input: 0, output_bound: 0, output_expected: 0 };
  const cost = { realtime_usd: 0, batch_usd: 0, at_most_realtime_usd: 0, unpriced_models: [] as string[] };
  for (const model of plan.models) {
    tokens.input += model.input_tokens;
    tokens.output_bound += model.output_tokens_bound;
    tokens.output_expected += model.output_tokens_expected;
    if (model.price === null) {
      cost.unpriced_models.push(model.model);
      continue;
    }
    model.cost_realtime_usd = round(costUsd(model.price, model.input_tokens, model.output_tokens_expected));
    model.cost_batch_usd = round(model.cost_realtime_usd * BATCH_PRICE_FACTOR);
    cost.realtime_usd += model.cost_realtime_usd;
    cost.at_most_realtime_usd += costUsd(model.price, model.input_tokens, model.output_tokens_bound);
  }
  cost.realtime_usd = round(cost.realtime_usd);
  cost.batch_usd = round(cost.realtime_usd * BATCH_PRICE_FACTOR);
  cost.at_most_realtime_usd = round(cost.at_most_realtime_usd);
  plan.tokens = tokens;
  plan.cost = cost;
}

function round(usd: number): number {
  return Math.round(usd * 10_000) / 10_000;
}
