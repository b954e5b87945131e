import type { ItemLocation, PreparedRequest } from '../core/item.ts';
import type { IngestCursor, Job } from '../core/job.ts';
import type { Reject } from '../core/reject.ts';
import { createLineParser, type LineParser, type LineParserOptions } from '../input/parse-input-line.ts';
import { createInputContentHash } from '../input/hash-input-file.ts';
import { readJsonlLineBatches } from '../input/read-jsonl-lines.ts';
import { createLineReader } from '../input/read-line-at.ts';
import type { NewItem, OpenItem, Store } from '../store/store.ts';
import type { TokenEstimator } from '../plan/estimate-tokens.ts';
import type { RealtimeDispatcher } from './realtime-dispatcher.ts';
import type { RequestCost } from './estimate-request-cost.ts';
import { storedReask, type AnswerReview } from './answer-review.ts';
import { SKIPPED_REASON, type AdmissionPolicy } from './admission-policy.ts';

export interface FeedOptions {
  job: Job;
  store: Store;
  dispatcher: RealtimeDispatcher;
  /** Present only when a TPM limit is set: no encoding on the hot path otherwise. */
  estimateTokens: TokenEstimator | null;
  /** Present only when a budget is set: each item's estimated cost and its model's price. */
  costRequest?: ((request: PreparedRequest) => RequestCost) | undefined;
  /** One parser for the whole run, so a format detected while feeding holds for the unread rest. */
  parser: LineParser;
  maxLineBytes: number;
  limit: number;
  signal: AbortSignal;
  /** Told the format once a line reveals it, so resume reads the file the same way. */
  onFormatDetected: (format: string) => Promise<void>;
  /** Told the reader's committed position after every ingest, for progress. */
  onCursor: (cursor: IngestCursor) => void;
  /** Rebuilds the request of a re-asked item left unfinished (docs/decisions/0019). */
  review?: AnswerReview | undefined;
  /**
   * Admission by need (docs/decisions/0024): every line is committed first, then units of items are sent as the
   * policy admits them. Unset: items are sent in input order as they are read.
   */
  admission?: AdmissionPolicy | undefined;
  /** The group of an item, kept with it at ingest (the admission policy's `groupOf`). */
  groupOf?: ((customId: string) => string | undefined) | undefined;
  /** The prompt of a data job's item, kept with it at ingest (the answer review's `promptOf`). */
  promptOf?: ((customId: string) => string | undefined) | undefined;
}

const RESUME_PAGE = 512;

/**
 * Feeds the dispatcher, never more than its window ahead: first the items a previous run
 * left unfinished (their lines re-read by offset), then the rest of the file from the
 * committed cursor, each batch of lines committed before any of it is sent.
 */
export async function feedItems(options: FeedOptions): Promise<void> {
  if (options.admission !== undefined) {
    await feedAdmitted(options, options.admission);
    return;
  }
  await feedUnfinished(options, options.parser);
  if (!options.job.cursor.done) await feedFromCursor(options, options.parser);
}

async function feedUnfinished(options: FeedOptions, parser: LineParser): Promise<void> {
  const { job, store, signal } = options;
  const reader = await createLineReader(job.inputPath);
  try {
    let page: OpenItem[] = [];
    const sendPage = async (): Promise<void> => {
      await pushOpenItems(options, reader, parser, page);
      page = [];
    };
    for await (const location of store.iterateUnfinished(job.id)) {
      if (signal.aborted) return;
      page.push(location);
      if (page.length >= RESUME_PAGE) await sendPage();
    }
    if (page.length > 0 && !signal.aborted) await sendPage();
  } finally {
    await reader.close();
  }
}

/** What sending open items needs of the feed's options. */
export type OpenItemFeed = Pick<FeedOptions, 'dispatcher' | 'signal' | 'estimateTokens' | 'costRequest' | 'review'>;

/**
 * Sends open items (their lines re-read by `reader`: the input file by offset, or a worker's store), each once the
 * dispatcher has room.
 */
export async function pushOpenItems(
  options: OpenItemFeed,
  reader: { readMany(items: readonly OpenItem[]): Promise<string[]> },
  parser: LineParser,
  page: readonly OpenItem[],
): Promise<void> {
  const { dispatcher, signal } = options;
  const texts = await reader.readMany(page);
  for (const [index, open] of page.entries()) {
    const text = texts[index] ?? '';
    const parsed = parser.parse({ lineNo: open.lineNo, byteLength: open.byteLength, text });
    if (!parsed.ok) continue; // The fingerprint check makes this unreachable short of a hand-edited file.
    await dispatcher.waitForSpace();
    if (signal.aborted) return;
    const { attempts, reasks, previous: _previous, reaskBase, ...location } = open;
    const reask = storedReask(options.review, open, parsed.request);
    dispatcher.push({
      location,
      request: reask ?? parsed.request,
      attempts,
      tokens: options.estimateTokens?.(parsed.request.body) ?? 0,
      ...options.costRequest?.(parsed.request),
      // The re-ask's retries count from the answer it re-asks, as they did in the run that stopped.
      ...(reasks === undefined ? {} : { reasks, reaskBase: reaskBase ?? attempts }),
      ...(reask === null ? {} : { original: parsed.request }),
    });
  }
}

/**
 * Admission by need: the whole input is committed first (nothing sent), so the policy knows every unit of every group
 * and can serve them by turns; it learns what earlier runs settled, is given every open item, then admits units one at
 * a time, waiting while answers out may still change what is needed.
 */
async function feedAdmitted(options: FeedOptions, admission: AdmissionPolicy): Promise<void> {
  const { job, store, dispatcher, signal } = options;
  if (!job.cursor.done) await ingestFromCursor(options, options.parser, UNREAD_SLICE, {});
  if (signal.aborted) return;
  for await (const outcome of store.iterateOutcomes(job.id)) admission.learn(outcome);
  for await (const open of store.iterateUnfinished(job.id)) admission.add(open);
  const reader = await createLineReader(job.inputPath);
  const stopped = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  // One promise per streak of waits (no push between them), not one per wake: a long wait would pile up idle waiters.
  let idle: Promise<'idle'> | undefined;
  // Units of a group at its target end now, not at the run's end: the join-back walk and the sinks follow the run in
  // source order and would wait on them.
  const skipUnneeded = async (): Promise<void> => {
    const items = admission.skippable();
    if (items.length === 0) return;
    await store.commitProgress([
      {
        jobId: job.id,
        attempts: [],
        updates: items.map((item) => ({
          seq: item.seq,
          state: 'cancelled' as const,
          attempts: item.attempts,
          missingReason: SKIPPED_REASON,
        })),
      },
    ]);
    dispatcher.recordSkipped(items.length);
  };
  try {
    while (!signal.aborted) {
      await skipUnneeded();
      let step = admission.next();
      if (step === 'done') return;
      if (step === 'wait') {
        if (idle === undefined) {
          idle = dispatcher.whenIdle().then(() => 'idle' as const);
          // A store that cannot commit rejects it; raced below, and never left unhandled once a push replaced it.
          idle.catch(() => undefined);
        }
        const woke = await Promise.race([admission.changed().then(() => 'changed' as const), idle, stopped]);
        if (woke !== 'idle') continue;
        idle = undefined;
        // An idle pool with the policy still waiting: what it waits on will not settle in this run (a hard stop).
        step = admission.next();
        if (step === 'wait' || step === 'done') return;
      }
      // More units while the policy admits them, up to the pool's window: their lines read in one go, not a unit at a
      // time (admitted units count as out from here, so the bound on a group holds whether they are queued or sent).
      const batch = [...step];
      while (batch.length < dispatcher.window) {
        const more = admission.next();
        if (typeof more === 'string') break;
        batch.push(...more);
      }
      await pushOpenItems(options, reader, options.parser, batch);
      // The pool is busy again: an idle seen before this push says nothing of the wait after it.
      idle = undefined;
    }
  } finally {
    await reader.close();
  }
}

async function feedFromCursor(options: FeedOptions, parser: LineParser): Promise<void> {
  const { dispatcher, signal } = options;
  await ingestFromCursor(options, parser, dispatcher.window, {
    onPending: async (pending, requests) => {
      for (const location of pending) {
        const request = requests.get(location.seq);
        if (request === undefined) continue;
        await dispatcher.waitForSpace();
        if (signal.aborted) return;
        dispatcher.push({
          location,
          request,
          attempts: 0,
          tokens: options.estimateTokens?.(request.body) ?? 0,
          ...options.costRequest?.(request),
        });
      }
    },
  });
}

/** What ingesting needs besides the job and a signal; both engines build it with `ingestContext`. */
export type IngestContext = Pick<
  FeedOptions,
  'store' | 'parser' | 'maxLineBytes' | 'limit' | 'onFormatDetected' | 'onCursor' | 'groupOf' | 'promptOf'
>;

/**
 * One parser for the whole run, and the job's detected format kept in its stored config so
 * resume reads the file the same way. `onCursor` is told the committed reader position.
 */
export function ingestContext(
  store: Store,
  job: Job,
  settings: { parser: LineParserOptions; maxLineBytes: number; limit: number },
  onCursor: (cursor: IngestCursor) => void,
  labels: Pick<IngestContext, 'groupOf' | 'promptOf'> = {},
): IngestContext {
  return {
    groupOf: labels.groupOf,
    promptOf: labels.promptOf,
    store,
    parser: createLineParser(settings.parser),
    maxLineBytes: settings.maxLineBytes,
    limit: settings.limit,
    onFormatDetected: async (format) => {
      const config = { ...job.config, input: { ...job.config.input, format } };
      await store.setJobConfig(job.id, config);
    },
    onCursor,
  };
}

export type UnreadOptions = Pick<
  FeedOptions,
  'store' | 'parser' | 'maxLineBytes' | 'limit' | 'signal' | 'onFormatDetected' | 'onCursor' | 'groupOf' | 'promptOf'
> & {
  jobId: string;
  /** After each commit of lines as items (a shared run cuts what it committed into slices meanwhile). */
  onCommitted?: (() => Promise<void>) | undefined;
};

/** Lines per commit when recording unread lines: nothing waits on them, so bigger is cheaper. */
const UNREAD_SLICE = 4096;

/**
 * Commits every line after the cursor as an item without sending it, so a stopped job's
 * `missing_records.jsonl` holds every valid line and `rejects.jsonl` every bad one: the
 * "never none" half of the guarantee. Resume then sends them as unfinished items.
 */
export async function recordUnread(options: UnreadOptions): Promise<void> {
  const job = await options.store.getJob(options.jobId);
  if (job === undefined || job.cursor.done) return;
  const { onCommitted } = options;
  if (onCommitted === undefined) {
    await ingestFromCursor({ ...options, job }, options.parser, UNREAD_SLICE, {});
    return;
  }
  // Someone waits on the first lines (workers of a shared run): small commits first, then ever bigger ones.
  let commits = 0;
  await ingestFromCursor(
    { ...options, job },
    options.parser,
    () => Math.min(UNREAD_SLICE, FIRST_WATCHED_SLICE * 2 ** commits++),
    { onCommitted },
  );
}

/** The first commit of lines someone waits on; each next one doubles, up to `UNREAD_SLICE`. */
const FIRST_WATCHED_SLICE = 256;

type IngestOptions = Pick<
  FeedOptions,
  'job' | 'store' | 'maxLineBytes' | 'limit' | 'signal' | 'onFormatDetected' | 'onCursor' | 'groupOf' | 'promptOf'
>;

/** What is told after each commit of lines as items. */
interface IngestHooks {
  /** The commit's pending items, with their parsed requests (kept for this only). */
  onPending?: (pending: ItemLocation[], requests: Map<number, PreparedRequest>) => Promise<void>;
  /** That a commit happened. */
  onCommitted?: () => Promise<void>;
}

/**
 * Reads from the committed cursor to the end of the file, committing each slice of lines
 * (items, rejects and the new cursor in one transaction) before telling `hooks`. `sliceSize` is asked before each
 * slice when it is a function.
 */
async function ingestFromCursor(
  options: IngestOptions,
  parser: LineParser,
  sliceSize: number | (() => number),
  hooks: IngestHooks,
): Promise<void> {
  const { onPending, onCommitted } = hooks;
  const { job, store, signal, limit } = options;
  let seq = job.cursor.seq;
  let formatReported = parser.format !== undefined;
  // The first read from byte 0 hashes every byte it reads anyway; at the end, that is the whole file's hash.
  const contentHash = job.cursor.byte === 0 ? createInputContentHash() : undefined;
  const lines = readJsonlLineBatches(job.inputPath, {
    startByte: job.cursor.byte,
    startLine: job.cursor.line,
    maxLineBytes: options.maxLineBytes,
    signal,
    hashLines: true,
    ...(contentHash === undefined ? {} : { contentHash }),
  });
  for await (const batch of lines) {
    for (let start = 0; start < batch.length;) {
      const size = typeof sliceSize === 'number' ? sliceSize : sliceSize();
      const slice = batch.slice(start, start + size);
      start += size;
      const items: NewItem[] = [];
      const requests = new Map<number, PreparedRequest>();
      const rejects: Reject[] = [];
      for (const line of slice) {
        const parsed = parser.parse(line);
        if (!parsed.ok) {
          rejects.push(parsed.reject);
          continue;
        }
        const item = {
          seq,
          customId: parsed.customId,
          lineNo: line.lineNo,
          byteOffset: line.byteOffset,
          byteLength: line.byteLength,
          lineHash: line.lineHash ?? null,
          raw: line.text ?? '',
          group: options.groupOf?.(parsed.customId) ?? null,
          prompt: options.promptOf?.(parsed.customId) ?? null,
        };
        seq += 1;
        items.push(item);
        if (onPending !== undefined) requests.set(item.seq, parsed.request);
      }
      if (!formatReported && parser.format !== undefined) {
        formatReported = true;
        await options.onFormatDetected(parser.format);
      }
      const last = slice.at(-1);
      if (last === undefined) continue;
      const result = await store.ingest(job.id, {
        items,
        rejects,
        limit,
        position: { byte: last.nextByte, line: last.lineNo, seq, done: false },
      });
      options.onCursor(result.cursor);
      if (onPending !== undefined) await onPending(result.pending, requests);
      await onCommitted?.();
      if (signal.aborted) return;
    }
  }
  if (signal.aborted) return;
  const current = await store.getJob(job.id);
  const cursor = current?.cursor ?? job.cursor;
  const final = await store.ingest(job.id, {
    items: [],
    rejects: [],
    limit,
    position: { byte: cursor.byte, line: cursor.line, seq, done: true },
    ...(contentHash === undefined ? {} : { inputSha256: contentHash.digest('hex') }),
  });
  options.onCursor(final.cursor);
}
