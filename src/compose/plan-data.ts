import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { ResolvedConfig } from '../config/config-schema.ts';
import { CancelledError, InputError } from '../errors/index.ts';
import type { GroupPlan, JobPlan, PlanGroupOf } from '../plan/plan-job.ts';
import type { DataFormat } from '../prep/data-row.ts';
import { readManifestRows } from '../prep/manifest.ts';
import { prepareData, type PrepareCounts, type PrepareReject } from '../prep/prepare-data.ts';
import type { PromptSet } from '../prep/prompt-spec.ts';
import { planInput } from './plan-input.ts';

export interface PlanDataOptions {
  dataPath: string;
  prompts: PromptSet;
  /** `data.format` (from the extension when absent) and `data.key`, as for `prepare`. */
  data?: { format?: DataFormat | undefined; key?: string | undefined };
  /** `--only FILE`: only the rows with these keys. */
  onlyKeys?: ReadonlySet<string> | undefined;
  /** Stops the preparation; the plan then throws `INTERRUPTED`, its temp folder removed. */
  signal?: AbortSignal;
}

/** One prompt in a data plan: what prepare made of it, and the plan's figures over its requests. */
export interface PromptPlan extends Omit<GroupPlan, 'group'> {
  name: string;
  /** Rows it made requests for. */
  rows: number;
  /** Requests prepared (rows x samples). */
  requests: number;
  /** Rows its `when` left out. */
  skipped: number;
  /** Rows it could not render (a missing variable, say) or that could not be read. */
  rejected: number;
}

export interface DataPlan {
  /** The plan of the prepared requests, as `plan INPUT` gives it; `input` is the data file. */
  plan: JobPlan;
  /** What prepare counted (as `prepare --json` prints it) and its first rejects; its files are gone. */
  prepare: { counts: PrepareCounts; rejects_sample: PrepareReject[] };
  /** Per prompt, in the prompts file's order; their figures add up to the plan's. */
  prompts: PromptPlan[];
}

const REJECT_SAMPLE = 10;

/**
 * `plan DATA --prompts FILE`: prepares the data into a private temp folder (removed afterwards, on error too), plans
 * the prepared requests as `plan INPUT` does, and breaks the figures down per prompt. Which prompt a request line
 * belongs to is read from the manifest's rows, which list the custom_ids in the order the lines were written, so
 * any `custom_id` format works and memory stays flat. Sends nothing.
 */
export async function planData(config: ResolvedConfig, options: PlanDataOptions): Promise<DataPlan> {
  const dataPath = resolve(options.dataPath);
  const dir = await mkdtemp(join(tmpdir(), 'batchpilot-plan-'));
  try {
    const prepared = await prepareData({
      dataPath,
      prompts: options.prompts,
      outDir: dir,
      ...(options.data === undefined ? {} : { data: options.data }),
      ...(options.onlyKeys === undefined ? {} : { onlyKeys: options.onlyKeys }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    const rejectsSample = await readFirstLines<PrepareReject>(prepared.rejectsPath, REJECT_SAMPLE);
    const { counts } = prepared;
    if (counts.requests === 0) {
      const sample = rejectsSample.map((reject) => `\n  ${reject.where}${promptOf(reject)}: ${reject.reason}`);
      throw new InputError(
        'INPUT_EMPTY',
        `${dataPath}: no request to plan: ${String(counts.rows)} rows x ${String(options.prompts.prompts.length)} prompts, ` +
          `${String(counts.skipped)} skipped by when, ${String(counts.rejected + counts.rejectedRows)} rejected${sample.join('')}`,
        { context: { file: dataPath } },
      );
    }
    const lines = createManifestGroupOf(prepared.manifestRowsPath);
    // Asked once per item, so it is where planning notices the signal too.
    const groupOf: PlanGroupOf = (item) => {
      options.signal?.throwIfAborted();
      return lines.groupOf(item);
    };
    let plan: JobPlan;
    try {
      plan = await planInput(config, prepared.requestsPath, { groupOf, source: dataPath });
    } finally {
      await lines.close();
    }
    const groups = new Map((plan.groups ?? []).map((group) => [group.group, group]));
    const { groups: _groups, ...total } = plan;
    const prompts = prepared.manifest.prompts.map((prompt): PromptPlan => {
      const group = groups.get(prompt.name) ?? emptyGroup(prompt.name, plan.tokens !== null);
      return {
        name: prompt.name,
        rows: prompt.rows,
        requests: prompt.requests,
        skipped: prompt.skipped,
        rejected: prompt.rejected,
        items: group.items,
        input_tokens: group.input_tokens,
        output_tokens_bound: group.output_tokens_bound,
        output_tokens_expected: group.output_tokens_expected,
        cost_realtime_usd: group.cost_realtime_usd,
        cost_batch_usd: group.cost_batch_usd,
        unpriced_models: group.unpriced_models,
      };
    });
    return { plan: total, prepare: { counts, rejects_sample: rejectsSample }, prompts };
  } catch (error) {
    if (options.signal?.aborted === true) throw new CancelledError('interrupted; nothing was sent');
    throw error;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The prompt of each request line, from the manifest's rows: prepare writes a row's custom_ids prompt by prompt, in
 * the order the manifest row lists them, and the lines of requests.jsonl in that same order. Lines are asked for in
 * increasing order (the plan skips the lines it rejects); a custom_id that is not the one listed at its line means
 * the two files disagree, which is a bug.
 */
function createManifestGroupOf(rowsPath: string): { groupOf: PlanGroupOf; close: () => Promise<void> } {
  const ids = listCustomIds(rowsPath)[Symbol.asyncIterator]();
  let position = 0;
  let current: { customId: string; prompt: string } | undefined;
  return {
    groupOf: async ({ line, customId }) => {
      while (position < line) {
        const next = await ids.next();
        if (next.done === true) throw new Error(`plan: request line ${String(line)} is not in the manifest`);
        current = next.value;
        position += 1;
      }
      if (current?.customId !== customId) {
        throw new Error(`plan: request line ${String(line)} is ${customId}, the manifest lists ${current?.customId}`);
      }
      return current.prompt;
    },
    close: async () => {
      await ids.return?.();
    },
  };
}

async function* listCustomIds(rowsPath: string): AsyncIterable<{ customId: string; prompt: string }> {
  for await (const row of readManifestRows(rowsPath)) {
    for (const [prompt, ids] of Object.entries(row.prompts)) {
      if (Array.isArray(ids)) for (const customId of ids) yield { customId, prompt };
    }
  }
}

async function readFirstLines<T>(path: string, count: number): Promise<T[]> {
  const found: T[] = [];
  const input = createReadStream(path);
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      if (line === '') continue;
      found.push(JSON.parse(line) as T);
      if (found.length >= count) break;
    }
  } finally {
    lines.close();
    input.destroy();
  }
  return found;
}

function promptOf(reject: PrepareReject): string {
  return reject.prompt === null ? '' : ` (${reject.prompt})`;
}

function emptyGroup(name: string, counted: boolean): GroupPlan {
  return {
    group: name,
    items: 0,
    input_tokens: 0,
    output_tokens_bound: 0,
    output_tokens_expected: 0,
    cost_realtime_usd: counted ? 0 : null,
    cost_batch_usd: counted ? 0 : null,
    unpriced_models: [],
  };
}
