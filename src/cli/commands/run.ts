import { resolve } from 'node:path';
import { jobDirPath } from '../../compose/job-paths.ts';
import type { Command } from 'commander';
import { fromStoredConfig, loadConfig, toStoredConfig } from '../../config/load-config.ts';
import { createJobId, isValidJobId } from '../../core/job-id.ts';
import { UsageError } from '../../errors/index.ts';
import { fingerprintInput } from '../../input/fingerprint-input.ts';
import { createStore } from '../../store/create-store.ts';
import { submitDetachedJob } from '../submit-detached-job.ts';
import { addConfigOptions, hasConfigFlags, readApprovals, readConfigFlags } from './config-options.ts';
import { checkRunCaps } from '../check-run-caps.ts';
import { assertOutDirFree } from '../assert-out-dir-free.ts';
import { globalOptions } from '../global-options.ts';
import { resumeJob } from './resume.ts';

export function registerRunCommand(program: Command): void {
  addConfigOptions(
    program
      .command('run')
      .description('create a job from a JSONL file and run it to the end in the foreground')
      .argument('<input>', 'JSONL file of requests (OpenAI batch lines or message rows)')
      .option('--config <file>', 'config file (default: ./batchpilot.yaml)')
      .option('--job <id>', 'job id; an existing job with the same input is resumed')
      .option('--out <dir>', 'folder for the result files (default: <workspace>/jobs/<job-id>)')
      .option('--simulate', 'start the built-in simulator and send the batch to it (no key needed)')
      .option('--detach', 'hand the job to the background scheduler of the workspace and print its status at once')
      .option('--no-progress', 'no progress display'),
  ).action(async (input: string, values: Record<string, unknown>, command: Command) => {
    const { workspace, json } = globalOptions(command);
    const inputPath = resolve(input);
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
      const fingerprint = await fingerprintInput(inputPath);
      // After the fingerprint, so an unreadable input gets its own clear error first.
      await checkRunCaps(config, inputPath, readApprovals(values));
      const jobId = requestedId ?? createJobId();
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
