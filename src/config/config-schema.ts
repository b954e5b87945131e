import { z } from 'zod';
import { parseSize } from './parse-size.ts';
import type { ProxySettings } from './proxy-settings.ts';
import { sinksConfigSchema } from './sinks-config-schema.ts';

/**
 * The configuration schema (SPEC §4): keys are snake_case, as users write them
 * in `batchpilot.yaml`, and every object is `.strict()` so a typo is an error,
 * not a silently ignored key. Descriptions set with `.describe()` are what
 * error messages say a value is expected to be.
 */

/** The name an environment variable can have; `api_key_env` must be one. */

/** A `user:password@` in a URL would be stored with the job and shown by `status`: refused (see base_url). */
function hasNoCredentials(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.username === '' && parsed.password === '';
  } catch {
    return true;
  }
}

/** The password (and user) of a URL, to mask in messages about it; empty when it has none. */
export function urlCredentials(url: unknown): string[] {
  if (typeof url !== 'string') return [];
  try {
    const parsed = new URL(url);
    return [parsed.password, decodeURIComponent(parsed.password), `${parsed.username}:${parsed.password}`].filter(
      (part) => part !== '' && part !== ':',
    );
  } catch {
    return [];
  }
}

export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The variable the API key is read from when `api_key_env` is not set. */
export const DEFAULT_API_KEY_ENV = 'OPENAI_API_KEY';

/** The variable the key is read from for `provider: anthropic` when `api_key_env` is not set. */
export const ANTHROPIC_API_KEY_ENV = 'ANTHROPIC_API_KEY';

/** `max_response_bytes` when unset: 64 MiB, far above any chat answer, well below what hurts a machine. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** `idle_timeout_ms` when unset. */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/** Concurrency hard cap of the safety policy (SPEC §10): no config or flag can go over it. */
export const MAX_CONCURRENCY = 1024;

/** Hard caps of the safety policy (SPEC §10): no config value or approval flag passes them. */
export const HARD_CAPS = {
  concurrency: MAX_CONCURRENCY,
  itemsPerJob: 50_000_000,
  jobs: 64,
} as const;

const sizeSchema = z
  .union([z.number(), z.string()])
  .transform((value, context) => {
    if (typeof value === 'number') return value;
    const bytes = parseSize(value);
    if (bytes === null) {
      context.issues.push({
        code: 'custom',
        message: 'must be a size such as "200MB", "1.5GB" or "512KB", or a whole number of bytes',
        input: value,
      });
      return z.NEVER;
    }
    return bytes;
  })
  .pipe(z.number().int().min(1))
  .describe('a size such as "200MB", "1.5GB" or "512KB", or a whole number of bytes');

const requestSchema = z
  .object({
    /** Upper bound of generated tokens per request. Minimum: 1. Omitted from the request when unset. */
    max_tokens: z.number().int().min(1).optional(),
    /** Sampling temperature. From 0 to 2. Omitted from the request when unset. */
    temperature: z.number().min(0).max(2).optional(),
    /** Nucleus sampling mass. From 0 to 1. Omitted from the request when unset. */
    top_p: z.number().min(0).max(1).optional(),
    /** Provider-specific fields merged into every request body as they are (e.g. `{ stop: [] }`). */
    extra_body: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

const dataSchema = z
  .object({
    /** The column holding each row's stable id (its values must be unique); without it, the 0-based row index. */
    key: z.string().min(1).optional(),
    /** `jsonl`, `json` (an array), `csv` or `parquet`; detected from the file's extension when unset. */
    format: z.enum(['jsonl', 'json', 'csv', 'parquet']).optional(),
    /**
     * The column (or dotted path, `meta.culture`) naming each row's group, for `groups:` targets. A row whose value is
     * missing or not a string or number is in the group `""`. Unset: no groups.
     */
    group_by: z.string().min(1).optional(),
  })
  .strict();

const groupCountSchema = z.record(z.string().min(1), z.number().int().min(0));

const groupsSchema = z
  .object({
    /**
     * Valid rows wanted per group (`data.group_by`); `"*"` is every group not named. 0 or absent: no target, every row
     * of the group runs. Rows of a group past its target are not sent and end `skipped` (`target_reached`).
     * @default {}
     */
    targets: groupCountSchema.default({}),
    /**
     * The prompt whose valid (or repaired) answer makes a row count toward its group's target. Unset: a row counts when
     * every prompt that applies to it is valid.
     */
    count_prompt: z.string().min(1).optional(),
    /**
     * Valid rows each group has already (from an earlier job): a target then means "this many in total".
     * @default {}
     */
    already: groupCountSchema.default({}),
    /**
     * A sink's name whose table is counted per group at the start of a run (added to `already`). Accepted here; read by
     * the sink runner.
     */
    already_from: z.string().min(1).optional(),
    /**
     * Extra rows per group that may be in flight beyond what its target needs, to go faster. 0: a group never ends
     * above its target. Minimum: 0.
     * @default 0
     */
    overshoot: z.number().int().min(0).default(0),
    /**
     * Weight of each group in the round-robin (`"*"` for the others); a group of weight 2 is served twice as often.
     * Minimum: 1.
     * @default {} (every group 1)
     */
    weights: z.record(z.string().min(1), z.number().int().min(1)).default({}),
    /**
     * `round_robin`: groups take turns (by `weights`); `need`: the group furthest from its target goes first.
     * @default 'round_robin'
     */
    order: z.enum(['round_robin', 'need']).default('round_robin'),
  })
  .strict();

const inputSchema = z
  .object({
    /**
     * How input lines are read: `openai_batch` lines (`{custom_id, method, url, body}`), `messages` rows, or
     * `auto` to detect from the first lines.
     * @default 'auto'
     */
    format: z.enum(['auto', 'openai_batch', 'messages']).default('auto'),
    /**
     * Field of a `messages` row holding the chat messages.
     * @default 'messages'
     */
    messages_key: z.string().min(1).default('messages'),
    /**
     * Longest accepted input line, in bytes; a longer line becomes a reject. Minimum: 1024.
     * @default 10485760 (10 MiB)
     */
    max_line_bytes: z.number().int().min(1024).default(10_485_760),
  })
  .strict();

const rateLimitSchema = z
  .object({
    /**
     * Requests per minute. 0 = unlimited.
     * @default 0
     */
    rpm: z.number().int().min(0).default(0),
    /**
     * Tokens per minute (estimated before a request, corrected by `usage` after). 0 = unlimited.
     * @default 0
     */
    tpm: z.number().int().min(0).default(0),
  })
  .strict();

const retrySchema = z
  .object({
    /**
     * Attempts per item, the first one included. From 1 to 100.
     * @default 4
     */
    max_attempts: z.number().int().min(1).max(100).default(4),
    /**
     * First backoff delay, in milliseconds; doubled per attempt with full jitter. Minimum: 0; at most `max_delay_ms`.
     * @default 500
     */
    base_delay_ms: z.number().int().min(0).default(500),
    /**
     * Longest backoff delay, in milliseconds. Minimum: 0.
     * @default 60000
     */
    max_delay_ms: z.number().int().min(0).default(60_000),
  })
  .strict()
  .superRefine((retry, context) => {
    if (retry.base_delay_ms <= retry.max_delay_ms) return;
    context.addIssue({
      code: 'custom',
      message: `must not be more than retry.max_delay_ms (${String(retry.max_delay_ms)})`,
      path: ['base_delay_ms'],
      input: retry.base_delay_ms,
    });
  });

const outageSchema = z
  .object({
    /**
     * Longest time, in seconds, a run keeps waiting for an endpoint that cannot be reached at all (every request
     * fails to connect or times out, none gets an answer) before it stops the job as interrupted
     * (`ENDPOINT_UNREACHABLE`, exit 2; `resume` carries on). Meanwhile it probes with one request at a time, and no
     * item is failed or charged an attempt for the outage. Minimum: 1. Unset: 900 (15 min) in realtime, 3600 (1 h)
     * in batch mode.
     * @default undefined (900 realtime, 3600 batch)
     */
    max_wait_s: z.number().min(1).optional(),
  })
  .strict();

const outputSchema = z
  .object({
    /**
     * Line order of the output files: the input's, or the order items completed in.
     * @default 'input'
     */
    order: z.enum(['input', 'completion']).default('input'),
  })
  .strict();

/**
 * Data jobs: how the enriched dataset is written when the job ends (join-back, `integrate JOB`). The section is
 * optional (a job without data has none); `integrateConfigSchema.parse(config.integrate ?? {})` fills the defaults.
 */
export const integrateConfigSchema = z
  .object({
    /**
     * The enriched dataset's file; a relative path is taken from the working folder.
     * @default `enriched.<format>` in the job folder
     */
    out: z.string().min(1).optional(),
    /**
     * `jsonl` (a row a line), `json` (one array), `csv` (nested values as JSON text) or `parquet`. Unset: from the
     * extension of `out`, else `jsonl`.
     * @default 'jsonl'
     */
    format: z.enum(['jsonl', 'json', 'csv', 'parquet']).optional(),
    /**
     * `nested`: one field per prompt holding its answer. `flat`: an answer's object fields become `prompt.a.b`
     * fields (and columns), as do the source row's.
     * @default 'nested'
     */
    fields: z.enum(['nested', 'flat']).default('nested'),
    /**
     * Adds `{prompt}__meta` to each row: the model, attempts, re-asks, tokens and cost of its answer.
     * @default false
     */
    meta: z.boolean().default(false),
    /**
     * Share of wanted answers (all but rows a prompt's `when` skips) that must be valid or repaired, per prompt:
     * below it the job exits 3 and names the prompts that fell short. From 0 to 1.
     * @default 1
     */
    min_coverage: z.number().min(0).max(1).default(1),
  })
  .strict();

const chunkSchema = z
  .object({
    /**
     * Batch mode: most requests per chunk (one remote batch). Minimum: 1. Unset: the provider's limit (OpenAI and
     * Zhipu 50,000, Anthropic 100,000).
     */
    max_requests: z.number().int().min(1).optional(),
    /**
     * Batch mode: largest chunk, in bytes; accepts a number or a size string (`200MB` = 200,000,000 bytes, `512KiB` =
     * 524,288 bytes). Minimum: 1. Unset: the provider's limit (OpenAI 200MB, Zhipu 100MB, Anthropic 256MB).
     */
    max_bytes: sizeSchema.optional(),
  })
  .strict();

const batchSchema = z
  .object({
    /**
     * Which flavour of the OpenAI files + batches API `base_url` speaks: `auto` picks `zhipu` for a base URL ending
     * `/api/paas/v4`, `azure` for `*.openai.azure.com`, else `openai`. Ignored for `provider: anthropic`.
     * @default 'auto'
     */
    dialect: z.enum(['auto', 'openai', 'zhipu', 'azure']).default('auto'),
    /**
     * Remote batches open at once; the other chunks wait their turn. From 1 to 100.
     * @default 3
     */
    max_concurrent: z.number().int().min(1).max(100).default(3),
    /**
     * Most estimated tokens (prompt + max_tokens) in open batches at once, to stay under the provider's
     * enqueued-token limit. 0 = no limit. Minimum: 0.
     * @default 0
     */
    max_enqueued_tokens: z.number().int().min(0).default(0),
    /**
     * `completion_window` of OpenAI-compatible batches.
     * @default '24h'
     */
    completion_window: z.string().min(1).default('24h'),
  })
  .strict();

const limitsSchema = z
  .object({
    /**
     * Configured cap on items per job: a job with more valid items is refused unless run with `--approve-items`.
     * 0 = no configured cap (the hard cap, 50,000,000, always holds).
     * @default 0
     */
    max_items: z.number().int().min(0).default(0),
    /**
     * Configured cap on `concurrency`: a higher value is refused unless run with `--approve-concurrency`.
     * An unset `concurrency` defaults to the lower of 32 and this cap. 0 = no configured cap (the hard cap,
     * 1024, always holds).
     * @default 0
     */
    concurrency: z.number().int().min(0).default(0),
    /**
     * Jobs the background scheduler runs at once; the others wait in submission order. From 1 to 64.
     * @default 4
     */
    max_jobs: z.number().int().min(1).max(HARD_CAPS.jobs).default(4),
    /**
     * Most estimated spend of one job, in US dollars: no new request is sent once spent plus in flight reaches it,
     * and a job whose plan is over it is refused unless run with `--approve-budget`. 0 = no budget.
     * @default 0
     */
    budget_usd: z.number().min(0).default(0),
  })
  .strict();

const priceSchema = z
  .object({
    /** US dollars per million input tokens. */
    input_per_mtok: z.number().min(0),
    /** US dollars per million output tokens. */
    output_per_mtok: z.number().min(0),
  })
  .strict();

const schedulerSchema = z
  .object({
    /**
     * Requests in flight across all jobs of the background scheduler, shared fairly between them. From 1 to 1024.
     * @default 256
     */
    max_concurrency: z.number().int().min(1).max(MAX_CONCURRENCY).default(256),
    /**
     * Seconds the scheduler waits with no job left before it exits (it is started again on demand). Minimum: 0.
     * @default 30
     */
    idle_exit_s: z.number().min(0).default(30),
  })
  .strict();

const commandTargetSchema = z
  .object({
    /** The command and its arguments, no shell: `{field}` placeholders are filled from the task line (and `{output_path}`). */
    argv: z.array(z.string()).min(1),
    /**
     * Kill the process group after this many milliseconds. Minimum: 100.
     * @default 600000
     */
    timeout_ms: z.number().int().min(100).default(600_000),
    /**
     * How the result is read: `stdout_json` (stdout is one JSON value), `file` (the JSON file at `{output_path}`), or
     * `exit_code` (0 = success, no body).
     * @default 'stdout_json'
     */
    result: z.enum(['stdout_json', 'file', 'exit_code']).default('stdout_json'),
    /** Exit codes that fail the task at once instead of being retried. */
    non_retryable_exit_codes: z.array(z.number().int()).default([]),
    /** A target that needs a terminal: tasks naming it are rejected up front. */
    interactive: z.boolean().default(false),
    /** Arguments whose following value is a secret, shown as `***` in previews and logs (e.g. `--api-key`). */
    secret_args: z.array(z.string()).default(['--api-key', '--token', '--password']),
    /**
     * Variables of batchpilot's environment the command gets, besides a base (PATH, HOME, USER, SHELL, LANG, LC_*, TZ,
     * TMPDIR, TERM and Windows' own): nothing else is passed, API keys included. Values of variables named like secrets
     * (`*KEY*`, `*TOKEN*`, `*SECRET*`, `*PASSWORD*`) are masked in the task's log, errors and result.
     * @default []
     */
    env: z.array(z.string().regex(ENV_NAME_PATTERN)).default([]),
    /**
     * Let an argument that is only `{field}` take a value starting with `-`. Off, such a task fails with a reason:
     * a value such as `--out=/x` would be read as an option of the command.
     * @default false
     */
    allow_option_values: z.boolean().default(false),
  })
  .strict();

const commandSchema = z
  .object({
    /** Target name -> how to run it. Task lines name their target in `target`. */
    targets: z.record(z.string(), commandTargetSchema).default({}),
  })
  .strict();

export const configSchema = z
  .object({
    /**
     * Which provider API requests are sent to: `openai` (and OpenAI-compatible servers: vLLM, Zhipu, Azure) or
     * `anthropic` (Message Batches; batch mode only for now).
     * @default 'openai'
     */
    provider: z.enum(['openai', 'anthropic', 'command']).default('openai'),
    /**
     * `realtime`: one HTTP request per item now. `batch`: the provider's asynchronous Batch API, at about half the price.
     * @default 'realtime'
     */
    mode: z.enum(['realtime', 'batch']).default('realtime'),
    /**
     * Base URL of the API, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:8000/v1`. http or https only, and
     * without `user:password@` (refused: it would be stored with the job and shown; the key goes in `api_key_env`).
     * Required unless the run uses `--simulate` (checked by `loadConfig`, not here).
     */
    base_url: z
      .url({ protocol: /^https?$/ })
      .refine(hasNoCredentials, {
        message:
          'must not hold a user name or password ("user:password@"): the job would keep it; give the key through api_key_env instead',
      })
      .describe('an http or https URL such as "http://127.0.0.1:8000/v1"')
      .optional(),
    /**
     * Name of the environment variable holding the API key.
     * @default 'OPENAI_API_KEY'
     */
    api_key_env: z
      .string()
      .regex(ENV_NAME_PATTERN)
      .describe('the name of an environment variable (letters, digits and _, not starting with a digit)')
      .default(DEFAULT_API_KEY_ENV),
    /** A literal API key. Allowed, but `loadConfig` warns: keep the key in the environment (`api_key_env`). */
    api_key: z.string().min(1).optional(),
    /** Model for every request; a `model` in an input line wins. */
    model: z.string().min(1).optional(),
    /** Request body fields applied to every request. */
    request: requestSchema.prefault({}),
    /** How the input file is read. */
    input: inputSchema.prefault({}),
    /** A data job's source rows (`prepare DATA`, `run DATA --prompts`). */
    data: dataSchema.optional(),
    /**
     * A data job's groups with targets (rows grouped by `data.group_by`). In batch mode rows are admitted in waves, one
     * per merge of batches (docs/decisions/0028).
     */
    groups: groupsSchema.optional(),
    /**
     * A data job's prompts: the path of a prompts file (relative to this config file), or the prompts file's content
     * inline (`defaults`, `custom_id`, `prompts`). `--prompts FILE` wins. See README "Data jobs: prepare".
     */
    prompts: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
    /**
     * Most items to run, in input order; the rest are reported missing. 0 = all. Minimum: 0.
     * @default 0
     */
    limit: z.number().int().min(0).default(0),
    /**
     * Requests in flight at once. From 1 to 1024 (the hard cap of SPEC §10).
     * @default 32
     */
    concurrency: z.number().int().min(1).max(MAX_CONCURRENCY).default(32),
    /** Provider-side limits the runner keeps under. */
    rate_limit: rateLimitSchema.prefault({}),
    /** Retries of failed requests (connection errors, timeouts, 408, 409, 429, 5xx). */
    retry: retrySchema.prefault({}),
    /**
     * Timeout of one request, in milliseconds. Minimum: 100.
     * @default 600000 (10 minutes)
     */
    timeout_ms: z.number().int().min(100).default(600_000),
    /**
     * Largest answer accepted, in bytes; a number or a size string (`64MiB`, `100MB`). Counted while the body is read
     * (realtime answers, command task output, batch result lines): past it the request is aborted and the item fails
     * with `response_too_large`, never retried. Error bodies are kept cut to 8 KB whatever this is.
     * @default 67108864 (64 MiB)
     */
    max_response_bytes: sizeSchema.default(DEFAULT_MAX_RESPONSE_BYTES),
    /**
     * Longest silence while an answer's body is arriving, in milliseconds: a body that stops sending bytes fails as a
     * `timeout` (retried) without waiting for `timeout_ms`. The wait for the answer to start is bound by `timeout_ms`
     * only. Minimum: 100.
     * @default 60000 (1 minute)
     */
    idle_timeout_ms: z.number().int().min(100).default(DEFAULT_IDLE_TIMEOUT_MS),
    /** How the output files are written. */
    output: outputSchema.prefault({}),
    /** Data jobs: the enriched dataset and its report (see `integrateConfigSchema` for the keys and defaults). */
    integrate: integrateConfigSchema.optional(),
    /**
     * Data jobs: where valid rows go as they arrive, in batches (LanceDB, JSONL part files, a webhook); see
     * `sinks-config-schema.ts` for each entry's keys and defaults.
     * @default [] (none)
     */
    sinks: sinksConfigSchema.optional(),
    /** What a run does while the whole endpoint cannot be reached. */
    outage: outageSchema.prefault({}),
    /** Batch mode: how items are cut into uploaded files. Accepted now, used once batch mode lands. */
    chunk: chunkSchema.prefault({}),
    /**
     * Batch mode: seconds between two status polls of a submitted batch. Minimum: 0.05 (fractions allowed, for local
     * servers and tests).
     * @default 30
     */
    poll_interval_s: z.number().min(0.05).default(30),
    /** Batch mode: pacing of remote batches. */
    batch: batchSchema.prefault({}),
    /** Safety policy: configured caps (over them needs an approval flag) and the budget. */
    limits: limitsSchema.prefault({}),
    /** Prices per model, over the built-in table, for `plan` and `limits.budget_usd`. */
    prices: z.record(z.string(), priceSchema).default({}),
    /** The background scheduler of the workspace (`run --detach`). */
    scheduler: schedulerSchema.prefault({}),
    /** `provider: command`: local commands run per task. */
    command: commandSchema.prefault({}),
  })
  .strict()
  .superRefine((config, context) => {
    if (config.groups !== undefined && config.data?.group_by === undefined) {
      context.addIssue({
        code: 'custom',
        message: "groups need data.group_by (the column naming each row's group); set it or remove groups",
        path: ['groups'],
        input: config.groups,
      });
    }
    if (config.provider === 'command' && config.mode === 'batch') {
      context.addIssue({
        code: 'custom',
        message: 'provider: command runs in mode: realtime (local processes have no batch API); set mode: realtime',
        path: ['mode'],
        input: config.mode,
      });
    }
    // Embeddings are asked of the job's endpoint (`/v1/embeddings`, decision 0027): Anthropic has none, commands none.
    config.sinks?.forEach((sink, index) => {
      if (sink.type !== 'lancedb' || sink.vectors === undefined || config.provider === 'openai') return;
      context.addIssue({
        code: 'custom',
        message: `needs an OpenAI-compatible /v1/embeddings endpoint, which provider: ${config.provider} has not; use provider: openai with a base_url that serves embeddings, or remove vectors`,
        path: ['sinks', index, 'vectors'],
        input: sink.vectors,
      });
    });
    if (config.provider !== 'anthropic' || config.mode === 'batch') return;
    context.addIssue({
      code: 'custom',
      message:
        'provider: anthropic runs in mode: batch for now (Message Batches); set mode: batch, or use provider: openai',
      path: ['mode'],
      input: config.mode,
    });
  });

/** The `groups` section with its defaults filled in. */
export type GroupsConfig = z.output<typeof groupsSchema>;

/** The `integrate` section with its defaults filled in. */
export type IntegrateConfig = z.output<typeof integrateConfigSchema>;

/** The configuration as users write it (file, or `defineConfig` in code): every key optional. */
export type BatchpilotConfig = z.input<typeof configSchema>;

/** The validated configuration with every default filled in. */
export type ConfigValues = z.output<typeof configSchema>;

type DeepReadonly<T> = T extends readonly (infer Element)[]
  ? readonly DeepReadonly<Element>[]
  : T extends object
    ? { readonly [Key in keyof T]: DeepReadonly<T[Key]> }
    : T;

/**
 * What `loadConfig` returns: the validated, defaulted values under the same
 * snake_case keys as the file, deeply frozen, plus what was resolved around them.
 */
export interface ResolvedConfig extends DeepReadonly<ConfigValues> {
  /** Absolute path of the config file read, or null when none was. */
  readonly configFile: string | null;
  /**
   * The API key, from `$api_key_env` or else the literal `api_key`; null when neither is set.
   * Never serialised: `toStoredConfig` drops it.
   */
  readonly apiKey: string | null;
  /** The run targets the built-in simulator (`--simulate`), so `base_url` and the key are optional. */
  readonly simulate: boolean;
  /**
   * The HTTP proxy from `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY` (see proxy-settings.ts); null when none is set, and
   * with `--simulate` (the built-in simulator is on loopback). Never stored: read again from the environment.
   */
  readonly proxy: ProxySettings | null;
}
