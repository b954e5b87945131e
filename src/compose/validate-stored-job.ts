import { join } from 'node:path';
import type { ResolvedConfig } from '../config/config-schema.ts';
import type { Job } from '../core/job.ts';
import type { ItemCheck } from '../core/item.ts';
import { UsageError } from '../errors/index.ts';
import type { SourceRowLike } from '../output/answer-record.ts';
import type { IntegrateDataJobResult } from '../output/integrate-data-job.ts';
import { SourceRows } from '../output/source-rows.ts';
import { loadPromptsFile } from '../prep/load-prompts.ts';
import { MANIFEST_ROWS_FILE, readManifestRows, type ManifestRow } from '../prep/manifest.ts';
import { promptOfCustomId } from '../prep/prompt-of-custom-id.ts';
import type { PromptSet } from '../prep/prompt-spec.ts';
import type { Store } from '../store/store.ts';
import { toStoredCheck } from '../core/item.ts';
import type { StoredAnswerCheck } from '../validate/answer-check.ts';
import { createRevalidator } from '../validate/revalidate.ts';
import { dataJobRecordOf, loadPromptSnapshot, savePromptSnapshot, type DataJobRecord } from './data-job-record.ts';
import { integrateStoredJob } from './integrate-stored-job.ts';
import { jobDirPath } from './job-paths.ts';
import { readSourceRows } from './read-source-rows.ts';

export interface ValidateStoredJobOptions {
  store: Store;
  workspace: string;
  job: Job;
  config: ResolvedConfig;
  /** `validate JOB --prompts FILE`: the rules to check with. @default the job's prompts file, read again */
  promptsPath?: string | undefined;
  cwd?: string;
}

export interface ValidateStoredJobResult {
  /** Answers checked again. */
  checked: number;
  /** Answers whose check changed (status or issues): the ones written. */
  changed: number;
  /** Checks by status after this run. */
  byStatus: Record<string, number>;
  /** Where the rules came from. */
  promptsFrom: string;
  integration: IntegrateDataJobResult;
}

const WRITE_BATCH = 1000;

/**
 * `validate JOB`: every stored answer of a data job checked again with the current rules, sending nothing: the
 * checks that changed are written, the rules become the job's (a later resume or retry re-asks by them), and the
 * enriched dataset and its report are written again. Answers that fail the new rules are not re-asked here.
 */
export async function validateStoredJob(options: ValidateStoredJobOptions): Promise<ValidateStoredJobResult> {
  const { store, job } = options;
  const record = dataJobRecordOf(job);
  if (record === undefined) {
    throw new UsageError(
      'USAGE',
      `job ${job.id} is not a data job (it was created from request lines); there are no rules to check its answers by`,
      {
        context: { jobId: job.id },
      },
    );
  }
  const frozen = await loadPromptSnapshot(options.workspace, job.id);
  const { set, from } = await currentRules(options, record, frozen);
  for (const prompt of frozen.prompts) {
    if (!set.prompts.some((candidate) => candidate.name === prompt.name)) {
      throw new UsageError(
        'USAGE',
        `${from} has no prompt "${prompt.name}", which job ${job.id} was prepared with; add it back or pass --prompts with a file that has every prompt of the job`,
        { context: { file: from, key: `prompts.${prompt.name}` } },
      );
    }
  }
  const revalidate = createRevalidator(set.prompts);
  // The job's custom_ids were made with its frozen format; the rules are looked up by the prompt's name.
  const promptOf = promptOfCustomId(frozen);
  const rows = new RowWalk(
    readManifestRows(join(jobDirPath(options.workspace, job.id), MANIFEST_ROWS_FILE)),
    readSourceRows(record),
  );
  let checked = 0;
  let changed = 0;
  const byStatus: Record<string, number> = {};
  let pending: { seq: number; check: ItemCheck }[] = [];
  try {
    for await (const item of store.iterateItems(job.id, 'input')) {
      if (item.state !== 'succeeded' || item.responseBody === null) continue;
      const found = await rows.find(item.customId);
      const prompt = promptOf?.(item.customId) ?? found?.prompt;
      if (prompt === undefined) continue;
      const outcome = revalidate({
        prompt,
        responseBody: item.responseBody,
        ...(found?.row === undefined ? {} : { row: found.row }),
        previous: item.check as StoredAnswerCheck | null,
      });
      if (!outcome.ok) continue;
      checked += 1;
      byStatus[outcome.check.status] = (byStatus[outcome.check.status] ?? 0) + 1;
      if (!outcome.changed) continue;
      changed += 1;
      pending.push({ seq: item.seq, check: toStoredCheck(outcome.check) });
      if (pending.length >= WRITE_BATCH) {
        await store.setItemChecks(job.id, pending);
        pending = [];
      }
    }
    if (pending.length > 0) await store.setItemChecks(job.id, pending);
  } finally {
    await rows.close();
  }
  if (set !== frozen) {
    await savePromptSnapshot(options.workspace, job.id, set);
    await store.setJobData(job.id, { ...record, promptsHash: set.hash });
  }
  const integration = await integrateStoredJob({ ...options, job: (await store.getJob(job.id)) ?? job });
  return { checked, changed, byStatus, promptsFrom: from, integration };
}

/** `--prompts FILE`, else the job's prompts file read again when it is still there, else the frozen prompts. */
async function currentRules(
  options: ValidateStoredJobOptions,
  record: DataJobRecord,
  frozen: PromptSet,
): Promise<{ set: PromptSet; from: string }> {
  const cwd = options.cwd ?? process.cwd();
  if (options.promptsPath !== undefined) {
    const set = await loadPromptsFile(options.promptsPath, cwd);
    return { set, from: set.sourceFile };
  }
  if (record.promptsFile !== null) {
    try {
      const set = await loadPromptsFile(record.promptsFile, cwd);
      return { set, from: set.sourceFile };
    } catch (error) {
      // Gone since: the rules the job was made with are the current ones.
      if (
        (error as { code?: string }).code !== 'INPUT_UNREADABLE' &&
        (error as { code?: string }).code !== 'CONFIG_UNREADABLE'
      )
        throw error;
    }
  }
  return { set: frozen, from: `the prompts job ${options.job.id} was prepared with` };
}

/**
 * The source row of each item, for `covers` checks, walked in step with the items: items come in input order,
 * which is the manifest's row order (each row's prompts, then samples), so only the current row is held. A row the
 * data no longer has at its index is checked with the manifest's `context` of it.
 */
class RowWalk {
  private readonly manifest: AsyncIterator<ManifestRow>;
  private readonly data: SourceRows;
  private window = new Map<string, { prompt: string; row: Record<string, unknown> | undefined }>();
  private ended = false;

  constructor(manifest: AsyncIterable<ManifestRow>, data: AsyncIterable<SourceRowLike>) {
    this.manifest = manifest[Symbol.asyncIterator]();
    this.data = new SourceRows(data);
  }

  async find(customId: string): Promise<{ prompt: string; row: Record<string, unknown> | undefined } | undefined> {
    while (!this.window.has(customId) && !this.ended) await this.advance();
    return this.window.get(customId);
  }

  async close(): Promise<void> {
    await this.manifest.return?.();
    await this.data.close();
  }

  private async advance(): Promise<void> {
    const next = await this.manifest.next();
    if (next.done === true) {
      this.ended = true;
      return;
    }
    const entry = next.value;
    const row = ((await this.data.at(entry.index))?.row as Record<string, unknown> | undefined) ?? entry.context;
    this.window = new Map();
    for (const [prompt, ids] of Object.entries(entry.prompts)) {
      if (Array.isArray(ids)) for (const id of ids) this.window.set(id, { prompt, row });
    }
  }
}
