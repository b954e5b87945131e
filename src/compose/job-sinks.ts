import type { ResolvedConfig } from '../config/config-schema.ts';
import { ConfigError } from '../errors/index.ts';
import type { SinkConfig } from '../config/sinks-config-schema.ts';
import type { Job } from '../core/job.ts';
import type { PromptSpec } from '../prep/prompt-spec.ts';
import { createSink } from '../sinks/create-sink.ts';
import type { Sink } from '../sinks/sink.ts';
import type { RowSchemaHint, SinkContext } from '../sinks/sink-context.ts';
import type { Store } from '../store/store.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import { createSinkEmbedder } from './create-sink-embedder.ts';
import { dataJobRecordOf, loadPromptSnapshot } from './data-job-record.ts';
import { readSourceRows } from './read-source-rows.ts';
import { SinkRunner, type SinkFeedSettings } from './sink-runner.ts';

export interface StartJobSinksOptions {
  store: Store;
  workspace: string;
  job: Job;
  config: ResolvedConfig;
  /** `batchpilot sink JOB`: every row again from the first. */
  fromStart?: boolean;
  /** `--sink NAME`: this sink only. */
  only?: string;
  /** What a sink that stays down tells the user to run once it is back. @default `batchpilot sink JOB` */
  whenBack?: string;
  signal?: AbortSignal;
  clock?: Clock;
  /**
   * The endpoint a sink's `vectors:` embeddings are asked at: the simulator's with `--simulate`.
   * @default config.base_url
   */
  baseUrl?: string | undefined;
  /**
   * How a sink is had: by default made from its config entry (`createSink`); the join-back thread passes sinks whose
   * writes the run's thread makes (thread-sink.ts), and the run its own, already open.
   */
  makeSink?: ((entry: SinkConfig) => Sink | Promise<Sink>) | undefined;
}

/**
 * The sinks of a data job (its config's `sinks:`), opened and ready to be fed by the join-back walk (decision 0026),
 * or undefined for a job without any. Opening makes or checks each target before a row is walked, so a LanceDB
 * table whose schema cannot take the rows, or a package not installed, stops here.
 */
export async function startJobSinks(options: StartJobSinksOptions): Promise<SinkRunner | undefined> {
  const entries = sinkEntries(options);
  if (entries.length === 0) return undefined;
  // Sinks given already made (the run's, the thread's) need no context: the prompts and data are not read for them.
  const make = options.makeSink ?? (await sinkMaker(options));
  const sinks: { sink: Sink; settings: SinkFeedSettings }[] = [];
  for (const entry of entries) sinks.push({ sink: await make(entry), settings: toFeedSettings(entry) });
  return SinkRunner.start({
    store: options.store,
    jobId: options.job.id,
    sinks,
    clock: options.clock ?? systemClock,
    ...(options.fromStart === undefined ? {} : { fromStart: options.fromStart }),
    ...(options.whenBack === undefined ? {} : { whenBack: options.whenBack }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
}

/**
 * The job's sinks made and opened in this thread for a whole run (a table made or checked before anything is sent),
 * by name; the caller closes them. Empty for a job without sinks. The run feeds them through the join-back thread
 * (thread-sink.ts) or, joining back itself, through `keptOpen`.
 */
export async function openJobSinks(options: StartJobSinksOptions): Promise<Map<string, Sink>> {
  const opened = new Map<string, Sink>();
  const entries = sinkEntries(options);
  if (entries.length === 0) return opened;
  const make = await sinkMaker(options);
  try {
    for (const entry of entries) {
      const sink = await make(entry);
      opened.set(entry.name, sink);
      await sink.open();
    }
  } catch (error) {
    for (const sink of opened.values()) await sink.close().catch(() => undefined);
    throw error;
  }
  return opened;
}

/** A sink already open, whose `open` and `close` leave it as it is (its owner closes it). */
export function keptOpen(sink: Sink): Sink {
  return {
    name: sink.name,
    open: () => Promise.resolve(),
    write: (batch) => sink.write(batch),
    close: () => Promise.resolve(),
  };
}

/** The job's sink entries (`--sink` applied); none for a job that is not a data job. */
function sinkEntries(options: StartJobSinksOptions): SinkConfig[] {
  if (dataJobRecordOf(options.job) === undefined) return [];
  return (options.config.sinks ?? []).filter((entry) => options.only === undefined || entry.name === options.only);
}

/** Makes a sink from its entry, with what sinks are built with: the rows' shape (prompts, the data's first row). */
async function sinkMaker(options: StartJobSinksOptions): Promise<(entry: SinkConfig) => Promise<Sink>> {
  const { job, config } = options;
  const record = dataJobRecordOf(job);
  if (record === undefined) throw new Error(`job ${job.id} is not a data job: it has no sinks`);
  const prompts = await loadPromptSnapshot(options.workspace, job.id);
  const rowSchema: RowSchemaHint = {
    sourceFields: await firstRowFields(readSourceRows(record)),
    prompts: prompts.prompts.map(promptHint),
    ...(record.dataKey === null ? {} : { keyField: record.dataKey }),
    ...(config.data?.group_by === undefined ? {} : { groupField: config.data.group_by }),
  };
  const context: SinkContext = { jobId: job.id, cwd: process.cwd(), rowSchema, env: process.env };
  return async (entry) => {
    if (entry.type !== 'lancedb' || entry.vectors === undefined) return createSink(entry, context);
    const baseUrl = options.baseUrl ?? config.base_url;
    if (baseUrl === undefined) throw new Error('base_url is validated by the config layer');
    const embedder = createSinkEmbedder({
      config,
      baseUrl,
      sinkName: entry.name,
      jobId: job.id,
      model: entry.vectors.model,
    });
    try {
      return closingAlso(await createSink(entry, { ...context, embed: embedder.embed }), () => embedder.close());
    } catch (error) {
      await embedder.close();
      throw error;
    }
  };
}

/** `sink`, whose `close` then runs `after` too (an embedder's connections, which live as long as the sink). */
function closingAlso(sink: Sink, after: () => Promise<void>): Sink {
  const closing: Sink = {
    name: sink.name,
    open: () => sink.open(),
    write: (batch) => sink.write(batch),
    close: async () => {
      try {
        await sink.close();
      } finally {
        await after();
      }
    },
  };
  const countByGroup = sink.countByGroup?.bind(sink);
  return countByGroup === undefined ? closing : { ...closing, countByGroup };
}

function toFeedSettings(entry: SinkConfig): SinkFeedSettings {
  return {
    rows: entry.rows,
    every: entry.every,
    ...(entry.max_wait_s === undefined ? {} : { maxWaitMs: entry.max_wait_s * 1000 }),
    ...(entry.every_seconds === undefined ? {} : { everySeconds: entry.every_seconds }),
    ...(entry.key === undefined ? {} : { key: entry.key }),
  };
}

function promptHint(prompt: PromptSpec): RowSchemaHint['prompts'][number] {
  return {
    name: prompt.name,
    ...(prompt.output.format === 'json' && prompt.output.schema !== undefined ? { schema: prompt.output.schema } : {}),
    samples: prompt.samples,
  };
}

/** The first row's field names, in their order: the columns a table gets for the source row. */
async function firstRowFields(rows: AsyncIterable<{ row: Readonly<Record<string, unknown>> }>): Promise<string[]> {
  for await (const first of rows) return Object.keys(first.row);
  return [];
}

/**
 * Rows a sink's target holds per group (`groups.already_from`), counted by the job's group field on the run's open
 * sinks. A sink the config does not have is a CONFIG_INVALID naming the key; a sink that cannot count (a webhook)
 * likewise.
 */
export async function countSinkGroups(
  config: ResolvedConfig,
  sinks: ReadonlyMap<string, Sink>,
  name: string,
): Promise<Map<string, number>> {
  const groupField = config.data?.group_by;
  const entry = (config.sinks ?? []).find((candidate) => candidate.name === name);
  if (entry === undefined || groupField === undefined) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `groups.already_from names sink "${name}", which the config's sinks: list does not have` +
        (groupField === undefined ? ' (and data.group_by is not set)' : ''),
      { context: { key: 'groups.already_from' } },
    );
  }
  const counts = await sinks.get(name)?.countByGroup?.(groupField);
  if (counts === undefined) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `groups.already_from: sink "${name}" (type ${entry.type}) cannot count its rows per group; name a lancedb sink`,
      { context: { key: 'groups.already_from' } },
    );
  }
  return counts;
}
