import type { RunProgress } from '../run-progress.ts';

/** What every call that runs a job takes besides its own options. */
export interface RunControlOptions {
  /**
   * Stops the run as Ctrl-C stops the CLI: no new requests, in-flight ones finish (realtime) or remote batches keep
   * running (batch), everything done is committed, the files are written and the result's `outcome` is
   * `interrupted`; `resumeJob` carries the job on. Aborted while a streamed input is being copied: nothing is created
   * and `BatchpilotError` `INTERRUPTED` is thrown.
   */
  signal?: AbortSignal;
  /** Called with the figures the CLI's progress display shows, a few times a second at most. */
  onProgress?: (progress: RunProgress) => void;
  /**
   * Where the API key is read from: the variable the config's `api_key_env` names. Nothing else is read from it.
   * @default process.env
   */
  env?: Readonly<Record<string, string | undefined>>;
}
