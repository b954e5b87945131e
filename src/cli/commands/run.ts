import { resolve } from 'node:path';
import type { Command } from 'commander';
import { checkJobId } from '../../compose/check-job-id.ts';
import { createJobInStore } from '../../compose/create-job-in-store.ts';
import { findJobToResume } from '../../compose/find-job-to-resume.ts';
import { toJobInput, type JobInput } from '../../compose/job-input.ts';
import { spoolJobInput } from '../../compose/spool-job-input.ts';
import { fromStoredConfig, loadConfig, toStoredConfig } from '../../config/load-config.ts';
import { createJobId } from '../../core/job-id.ts';
import type { EndpointProbe } from '../../providers/probe-endpoint.ts';
import { createStore } from '../../store/create-store.ts';
import type { CommandExit } from '../command-exit.ts';
import { submitDetachedJob } from '../submit-detached-job.ts';
import {
  DEFAULT_CONFIG_FILES_HELP,
  addConfigOptions,
  hasConfigFlags,
  readApprovals,
  readConfigFlags,
} from './config-options.ts';
import { globalOptions } from '../global-options.ts';
import { withStopSignals } from '../with-stop-signals.ts';
import {
  addDataOptions,
  assertDataFlagsHavePrompts,
  isDataCommand,
  readDataOptions,
  readOnlyKeys,
} from './data-options.ts';
import type { ResolvedConfig } from '../../config/config-schema.ts';
import type { Approvals } from '../../plan/check-safety-caps.ts';
import type { Store } from '../../store/store.ts';
import { resumeJob } from './resume.ts';
import { markForeignStoreJob } from '../../compose/mark-foreign-store-job.ts';
import { DEFAULT_SLICE_LEASE_S } from '../../engine/work/job-slice-work.ts';
import { readPositiveIntFlag } from '../parse-positive-int.ts';

/**
 * `run INPUT`: creates a job from a JSONL file (or `-`, a pipe, a `.gz`, copied into the job folder) and runs it.
 * Creating it is the composition layer's (`compose/create-job-in-store.ts`, shared with the library); this command
 * adds the flags, the messages, Ctrl-C and the exit code.
 */
export function registerRunCommand(program: Command, exit: CommandExit): void {
  addConfigOptions(
    addDataOptions(
      program
        .command('run')
        .description(
          'create a job from a JSONL file (or from data rows and --prompts) and run it to the end in the foreground',
        )
        .argument(
          '<input>',
          'JSONL file of requests (OpenAI batch lines or message rows); - for standard input; .gz and pipes are copied into the job folder. With --prompts: a data file (.jsonl, .json, .csv, .parquet)',
        ),
    )
      .option('--config <file>', `config file (${DEFAULT_CONFIG_FILES_HELP})`)
      .option('--job <id>', 'job id; an existing job with the same input is resumed')
      .option('--out <dir>', 'folder for the result files (default: <workspace>/jobs/<job-id>)')
      .option('--simulate', 'start the built-in simulator and send the batch to it (no key needed)')
      .option('--detach', 'hand the job to the background scheduler of the workspace and print its status at once')
      .option('--no-progress', 'no progress display')
      .option(
        '--no-work',
        'with --store postgres://...: only submit the job and wait for its end while "batchpilot worker" processes send it',
      )
      .option(
        '--lease-s <seconds>',
        `with --store postgres://...: take over the slices of a worker silent for this long (default ${String(DEFAULT_SLICE_LEASE_S)})`,
      ),
  ).action(async (input: string, values: Record<string, unknown>, command: Command) => {
    const global = globalOptions(command);
    const { workspace, json } = global;
    const storeUrl = global.store;
    const jobInput = await toJobInput(input);
    const flags = readConfigFlags(values);
    const simulate = values['simulate'] === true;
    const requestedId = typeof values['job'] === 'string' ? values['job'] : undefined;
    const detach = values['detach'] === true;
    if (requestedId !== undefined) checkJobId(requestedId);
    const noWork = values['work'] === false;
    const leaseS = readPositiveIntFlag(values, 'leaseS', '--lease-s');
    const store = createStore({ workspace, url: storeUrl });
    const probeStop = new AbortController();
    let endpointProbe: Promise<EndpointProbe | undefined> | undefined;
    // With a shared store, `--detach` runs the job in a background process of its own (not the scheduler's).
    const detachShared = async (url: string, jobId: string): Promise<number> => {
      const { detachSharedRun } = await import('../detach-shared-run.ts');
      return detachSharedRun({ store, workspace, storeUrl: url, jobId, json, noWork, leaseS });
    };
    try {
      if (requestedId !== undefined) {
        const existing = await findJobToResume(store, workspace, requestedId, jobInput);
        if (existing !== undefined) {
          if (existing.keepsOwnCopy) {
            process.stderr.write(`batchpilot: job ${requestedId} keeps its own copy of the input; resuming it\n`);
          }
          if (detach) {
            // Flags given now are kept with the job: the background run reads its config from the store.
            const { config, warnings } = await fromStoredConfig(existing.job.config, { env: process.env, flags });
            for (const warning of warnings) process.stderr.write(`batchpilot: warning: ${warning}\n`);
            if (hasConfigFlags(flags)) await store.setJobConfig(existing.job.id, toStoredConfig(config));
            exit.code =
              storeUrl === undefined
                ? await submitDetachedJob({ store, workspace, jobId: existing.job.id, config, json })
                : await detachShared(storeUrl, existing.job.id);
            return;
          }
          exit.code = await resumeJob({
            store,
            workspace,
            storeUrl,
            jobId: requestedId,
            json,
            flags,
            progress: values['progress'] !== false,
          });
          return;
        }
      }
      const { config, warnings } = await loadConfig({
        cwd: process.cwd(),
        ...(typeof values['config'] === 'string' ? { configPath: values['config'] } : {}),
        env: process.env,
        flags,
        simulate,
      });
      for (const warning of warnings) process.stderr.write(`batchpilot: warning: ${warning}\n`);
      // Its round trip overlaps creating the job; abandoned if the command ends before the run asks for it.
      if (!detach) endpointProbe = startEarlyProbe(config, probeStop.signal);
      const jobId = requestedId ?? createJobId();
      const dataCommand = isDataCommand(values, config);
      assertDataFlagsHavePrompts(values, dataCommand);
      const approvals = readApprovals(values);
      const outDir = typeof values['out'] === 'string' ? resolve(values['out']) : undefined;
      let jobConfig = config;
      // A job kept in PostgreSQL still has its files here: its folder says so first (the SQLite guard skips it).
      if (storeUrl !== undefined) await markForeignStoreJob(workspace, jobId, storeUrl);
      if (dataCommand) {
        // readDataOptions already falls back to the config's `data:` section; only the keys that have a value stay.
        jobConfig = { ...config, data: definedOnly(readDataOptions(values, config)) };
        await createDataJobWithSignals({
          store,
          workspace,
          jobId,
          dataPath: input,
          promptsPath: typeof values['prompts'] === 'string' ? values['prompts'] : undefined,
          config: jobConfig,
          approvals,
          outDir,
          onlyKeys: await readOnlyKeys(values),
        });
      } else {
        const inputPath = await spoolWithSignals(workspace, jobId, jobInput);
        await createJobInStore({ store, workspace, jobId, inputPath, config, approvals, outDir });
        process.stderr.write(`batchpilot: job ${jobId}, input ${inputPath}\n`);
      }
      if (detach) {
        exit.code =
          storeUrl === undefined
            ? await submitDetachedJob({ store, workspace, jobId, config: jobConfig, json })
            : await detachShared(storeUrl, jobId);
        return;
      }
      // Loaded only to run here: `--detach` (and every other command) starts faster without the engine and undici.
      const { executeJob } = await import('../execute-job.ts');
      exit.code = await executeJob({
        store,
        workspace,
        storeUrl,
        jobId,
        config: jobConfig,
        json,
        progress: values['progress'] !== false,
        noWork,
        leaseS,
        endpointProbe,
      });
    } finally {
      probeStop.abort();
      await store.close();
    }
  });
}

/** The keys of an object that have a value. */
function definedOnly<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}

/**
 * A data job created from rows and prompts (`compose/create-data-job.ts`), with Ctrl-C and SIGTERM stopping the
 * prepare: nothing is created then, and the run ends with `INTERRUPTED`.
 */
async function createDataJobWithSignals(options: {
  store: Store;
  workspace: string;
  jobId: string;
  dataPath: string;
  promptsPath: string | undefined;
  config: ResolvedConfig;
  approvals: Approvals;
  outDir: string | undefined;
  onlyKeys: Set<string> | undefined;
}): Promise<void> {
  const [{ loadPromptSet, promptsFileOf }, { createDataJob }] = await Promise.all([
    import('../../prep/load-prompt-set.ts'),
    import('../../compose/create-data-job.ts'),
  ]);
  const cwd = process.cwd();
  const source = {
    promptsPath: options.promptsPath,
    configPrompts: options.config.prompts,
    configFile: options.config.configFile,
    cwd,
  };
  const prompts = await loadPromptSet(source);
  const { prepared } = await withStopSignals((signal) =>
    createDataJob({
      ...options,
      dataPath: resolve(cwd, options.dataPath),
      prompts,
      promptsFile: promptsFileOf(source),
      signal,
    }),
  );
  const { counts } = prepared;
  const rejected = counts.rejected + counts.rejectedRows;
  process.stderr.write(
    `batchpilot: job ${options.jobId}, ${String(counts.requests)} requests from ${String(counts.rows)} rows x ${String(prompts.prompts.length)} prompts` +
      `${counts.skipped > 0 ? `, ${String(counts.skipped)} skipped by when` : ''}` +
      `${rejected > 0 ? `, ${String(rejected)} rejected (${prepared.rejectsPath})` : ''}\n`,
  );
}

/**
 * Copies a stream input into the job's folder with Ctrl-C and SIGTERM working throughout: a signal stops the copy
 * and removes it, no job is created, and the run ends with `INTERRUPTED` (exit 130). A regular file is read in place.
 */
async function spoolWithSignals(workspace: string, jobId: string, input: JobInput): Promise<string> {
  if (input.kind === 'file') return input.path;
  return withStopSignals(async (signal) => {
    if (input.kind === 'stream' && input.source === '-' && process.stdin.isTTY) {
      process.stderr.write('batchpilot: reading the input from standard input (end it with Ctrl-D)\n');
    }
    return spoolJobInput({ workspace, jobId, input, signal });
  });
}

/** `startEndpointProbe`, loaded only by a run that goes on here (it brings undici); undefined when there is none. */
function startEarlyProbe(config: ResolvedConfig, signal: AbortSignal): Promise<EndpointProbe | undefined> {
  return import('../../compose/endpoint-probe.ts')
    .then(({ startEndpointProbe }) => startEndpointProbe(config, signal))
    .catch(() => undefined);
}
