import { join, resolve } from 'node:path';
import { jobDirPath } from '../../compose/job-paths.ts';
import type { Command } from 'commander';
import { fromStoredConfig, loadConfig, toStoredConfig } from '../../config/load-config.ts';
import { createJobId, isValidJobId } from '../../core/job-id.ts';
import { UsageError } from '../../errors/index.ts';
import { fingerprintInput } from '../../input/fingerprint-input.ts';
import { spoolInput, spoolReason, SPOOLED_INPUT_NAME } from '../../input/spool-input.ts';
import { createStore } from '../../store/create-store.ts';
import { submitDetachedJob } from '../submit-detached-job.ts';
import { addConfigOptions, hasConfigFlags, readApprovals, readConfigFlags } from './config-options.ts';
import { checkRunCaps } from '../check-run-caps.ts';
import { assertOutDirFree } from '../assert-out-dir-free.ts';
import { globalOptions } from '../global-options.ts';
import { resumeJob } from './resume.ts';

/** `run INPUT`: creates a job from a JSONL file (or `-`, a pipe, a `.gz`, copied into the job folder) and runs it. */
export function registerRunCommand(program: Command): void {
  addConfigOptions(
    program
      .command('run')
      .description('create a job from a JSONL file and run it to the end in the foreground')
      .argument(
        '<input>',
        'JSONL file of requests (OpenAI batch lines or message rows); - for standard input; .gz and pipes are copied into the job folder',
      )
      .option('--config <file>', 'config file (default: ./batchpilot.yaml)')
      .option('--job <id>', 'job id; an existing job with the same input is resumed')
      .option('--out <dir>', 'folder for the result files (default: <workspace>/jobs/<job-id>)')
      .option('--simulate', 'start the built-in simulator and send the batch to it (no key needed)')
      .option('--detach', 'hand the job to the background scheduler of the workspace and print its status at once')
      .option('--no-progress', 'no progress display'),
  ).action(async (input: string, values: Record<string, unknown>, command: Command) => {
    const { workspace, json } = globalOptions(command);
    // Standard input, pipes and .gz are copied into the job's folder first (see spoolInput).
    const spool = await spoolReason(input);
    let inputPath = spool === null ? resolve(input) : input;
    const flags = readConfigFlags(values);
    const simulate = values['simulate'] === true;
    const requestedId = typeof values['job'] === 'string' ? values['job'] : undefined;
    const detach = values['detach'] === true;
    if (requestedId !== undefined && !isValidJobId(requestedId)) {
      throw new UsageError('USAGE', `--job "${requestedId}": use letters, digits, ".", "_" and "-" only`, {
        context: { flag: '--job' },
      });
    }
    const store = createStore({ workspace });
    try {
      if (requestedId !== undefined) {
        const existing = await store.getJob(requestedId);
        if (existing !== undefined) {
          const ownCopy = join(jobDirPath(workspace, requestedId), SPOOLED_INPUT_NAME);
          if (spool !== null && existing.inputPath === ownCopy) {
            // The job reads its own copy; the stream given now is not read (it cannot be compared).
            process.stderr.write(`batchpilot: job ${requestedId} keeps its own copy of the input; resuming it\n`);
            inputPath = ownCopy;
          }
          if (existing.inputPath !== inputPath) {
            throw new UsageError(
              'USAGE',
              `job ${requestedId} exists with input ${existing.inputPath}, not ${inputPath}; pick another --job id or run "batchpilot resume ${requestedId}"`,
              { context: { flag: '--job' } },
            );
          }
          if (detach) {
            // Flags given now are kept with the job: the scheduler reads its config from the store.
            const { config, warnings } = await fromStoredConfig(existing.config, { env: process.env, flags });
            for (const warning of warnings) process.stderr.write(`batchpilot: warning: ${warning}\n`);
            if (hasConfigFlags(flags)) await store.setJobConfig(existing.id, toStoredConfig(config));
            process.exitCode = await submitDetachedJob({ store, workspace, jobId: existing.id, config, json });
            return;
          }
          process.exitCode = await resumeJob({
            store,
            workspace,
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
      const jobId = requestedId ?? createJobId();
      if (spool !== null) {
        inputPath = join(jobDirPath(workspace, jobId), SPOOLED_INPUT_NAME);
        await spoolWithSignals(input, inputPath);
      }
      const fingerprint = await fingerprintInput(inputPath);
      // After the fingerprint, so an unreadable input gets its own clear error first.
      await checkRunCaps(config, inputPath, readApprovals(values));
      const outDir = typeof values['out'] === 'string' ? resolve(values['out']) : jobDirPath(workspace, jobId);
      if (typeof values['out'] === 'string') await assertOutDirFree(store, outDir, jobId);
      await store.createJob({
        id: jobId,
        inputPath,
        inputFingerprint: fingerprint,
        config: toStoredConfig(config),
        outDir,
        now: Date.now(),
      });
      process.stderr.write(`batchpilot: job ${jobId}, input ${inputPath}\n`);
      if (detach) {
        process.exitCode = await submitDetachedJob({ store, workspace, jobId, config, json });
        return;
      }
      // Loaded only to run here: `--detach` (and every other command) starts faster without the engine and undici.
      const { executeJob } = await import('../execute-job.ts');
      process.exitCode = await executeJob({
        store,
        workspace,
        jobId,
        config,
        json,
        progress: values['progress'] !== false,
      });
    } finally {
      await store.close();
    }
  });
}

/**
 * Copies a stream input into the job's folder with Ctrl-C and SIGTERM working throughout: a signal stops the copy
 * and removes it, no job is created, and the run ends with `INTERRUPTED` (exit 130).
 */
async function spoolWithSignals(input: string, target: string): Promise<void> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (input === '-' && process.stdin.isTTY) {
      process.stderr.write('batchpilot: reading the input from standard input (end it with Ctrl-D)\n');
    }
    await spoolInput({ input, target, signal: stop.signal });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
