/**
 * The catalog of error codes. Every `BatchpilotError` carries one of these;
 * tests assert codes, never message text. The exit code of the CLI is decided
 * here and nowhere else (see `exitCodeFor`).
 */
export const ERROR_CODES = {
  USAGE: { exitCode: 2, meaning: 'the command line is wrong' },
  CONFIG_INVALID: { exitCode: 2, meaning: 'a configuration value is wrong' },
  CONFIG_UNREADABLE: { exitCode: 2, meaning: 'the configuration file cannot be read or parsed' },
  API_KEY_MISSING: { exitCode: 2, meaning: 'no API key was found where the config says to look' },
  INPUT_UNREADABLE: { exitCode: 2, meaning: 'the input file cannot be read' },
  INPUT_EMPTY: { exitCode: 2, meaning: 'the input file has no valid line' },
  INPUT_CHANGED: { exitCode: 2, meaning: 'the input file changed since the job started' },
  CUSTOM_ID_DUPLICATE: {
    exitCode: 2,
    meaning: 'prepare made the same custom_id twice (the prompts file custom_id format); nothing was sent',
  },
  JOB_NOT_FOUND: { exitCode: 2, meaning: 'no job with that id in the workspace' },
  OUT_DIR_IN_USE: { exitCode: 2, meaning: "--out names a folder that holds another job's result files" },
  OUT_DIR_UNWRITABLE: { exitCode: 2, meaning: '--out names a folder that cannot be made or written' },
  JOB_LOCKED: { exitCode: 2, meaning: 'another live process is running the job' },
  JOB_START_FAILED: {
    exitCode: 2,
    meaning: 'the background process of a detached run on a shared store ended before it took the job (see its log)',
  },
  SCHEDULER_RUNNING: { exitCode: 2, meaning: 'another live scheduler already serves the workspace' },
  SCHEDULER_SOCKET_UNSAFE: {
    exitCode: 2,
    meaning: 'the scheduler socket cannot be made or used safely (not private to this user); no key is sent',
  },
  UI_UNAVAILABLE: {
    exitCode: 2,
    meaning: "the dashboard cannot listen on --host and --port (taken, or not this machine's address)",
  },
  AUTH_FAILED: { exitCode: 2, meaning: 'the provider refused the API key (401/403); the job stopped' },
  CONCURRENCY_REQUIRES_APPROVAL: {
    exitCode: 2,
    meaning: 'concurrency is over limits.concurrency; run again with --approve-concurrency',
  },
  CONCURRENCY_OVER_HARD_CAP: { exitCode: 2, meaning: 'concurrency is over the hard cap no flag can pass' },
  ITEMS_REQUIRES_APPROVAL: { exitCode: 2, meaning: 'the job has more items than limits.max_items; --approve-items' },
  ITEMS_OVER_HARD_CAP: { exitCode: 2, meaning: 'the job has more items than the hard cap no flag can pass' },
  BUDGET_REQUIRES_APPROVAL: {
    exitCode: 2,
    meaning: 'the estimated cost is over limits.budget_usd; run again with --approve-budget',
  },
  MODEL_NOT_FOUND: { exitCode: 2, meaning: 'the provider does not know a model the job names' },
  ENDPOINT_UNREACHABLE: {
    exitCode: 2,
    meaning: 'base_url cannot be reached or does not serve the API; the items are kept, resume once it is fixed',
  },
  OUTPUT_SPEC_INVALID: {
    exitCode: 2,
    meaning: "a prompt's output schema does not compile (JSON Schema 2020-12) or one of its checks is malformed",
  },
  SINK_SCHEMA_INCOMPATIBLE: {
    exitCode: 2,
    meaning: "a sink's target (a LanceDB table) has a schema the job's rows cannot go into; nothing was sent",
  },
  SINK_DEPENDENCY_MISSING: { exitCode: 2, meaning: "a sink's optional package is not installed; nothing was sent" },
  SINK_UNAVAILABLE: {
    exitCode: 2,
    meaning: 'a sink stayed unreachable past its bound; the rows are kept, resume once it is back',
  },
  SINK_FAILED: { exitCode: 1, meaning: 'a sink failed in a way retrying cannot mend' },
  STORE_FAILED: { exitCode: 1, meaning: 'the state store failed' },
  SLICE_LOST: {
    exitCode: 1,
    meaning: 'a worker wrote to a slice of work it no longer held (another process took it); nothing was written',
  },
  STORE_UNREACHABLE: {
    exitCode: 2,
    meaning: "the store's database cannot be reached (server down, wrong URL, refused login); nothing was changed",
  },
  DISK_FULL: {
    exitCode: 75,
    meaning:
      'a write to the store or a result file found no room (ENOSPC, quota, file-size limit); free space and resume',
  },
  STORE_CORRUPT: {
    exitCode: 74,
    meaning: 'the state store is damaged or empty while the workspace holds jobs; it is never re-initialised over them',
  },
  PROVIDER_FAILED: { exitCode: 1, meaning: 'a provider call failed' },
  RESPONSE_TOO_LARGE: {
    exitCode: 1,
    meaning: 'an answer was over max_response_bytes: reading stopped there and the item failed (not retried)',
  },
  ITEMS_UNFINISHED: { exitCode: 3, meaning: 'the job ended with failed or missing items' },
  COVERAGE_BELOW_MIN: {
    exitCode: 3,
    meaning: "a data job's share of valid answers for a prompt is below integrate.min_coverage",
  },
  GROUP_TARGET_SHORT: {
    exitCode: 3,
    meaning: "a data job's group ran out of rows before its groups.targets count of valid rows",
  },
  INTERRUPTED: { exitCode: 130, meaning: 'the job was interrupted and can be resumed' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function exitCodeFor(code: ErrorCode): number {
  return ERROR_CODES[code].exitCode;
}
