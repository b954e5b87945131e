import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load-config.ts';
import { UsageError } from '../../errors/index.ts';
import { addDataOptions, readDataOptions, readOnlyKeys } from './data-options.ts';
import { globalOptions } from '../global-options.ts';
import { DEFAULT_CONFIG_FILES_HELP } from './config-options.ts';

/**
 * `prepare DATA --prompts FILE`: turns data rows and prompts into OpenAI batch lines (requests.jsonl), a manifest
 * and the rejects, sending nothing; `--preview N` prints the first N requests per prompt and writes nothing either.
 * The prep module is loaded only when the command runs.
 */
export function registerPrepareCommand(program: Command): void {
  addDataOptions(
    program
      .command('prepare')
      .description('render data rows through prompts into requests.jsonl + manifest.json (sends nothing)')
      .argument('<data>', 'data file: .jsonl/.ndjson, .json (an array), .csv (header row) or .parquet; .gz for text')
      .option('--out <file>', 'requests file; manifest.json and prepare_rejects.jsonl go beside it', 'requests.jsonl')
      .option('--preview <n>', 'print the first N rendered requests per prompt; write and send nothing')
      .option('--config <file>', `config file (${DEFAULT_CONFIG_FILES_HELP})`),
  ).action(async (data: string, values: Record<string, unknown>, command: Command) => {
    const { json } = globalOptions(command);
    const cwd = process.cwd();
    const preview = parsePreview(values['preview']);
    // prepare sends nothing, so no endpoint or key is needed: the config is read as for --simulate.
    const { config } = await loadConfig({
      cwd,
      ...(typeof values['config'] === 'string' ? { configPath: values['config'] } : {}),
      env: process.env,
      flags: {},
      simulate: true,
    });
    const { loadPromptSet } = await import('../../prep/load-prompt-set.ts');
    const prompts = await loadPromptSet({
      promptsPath: typeof values['prompts'] === 'string' ? values['prompts'] : undefined,
      configPrompts: config.prompts,
      configFile: config.configFile,
      cwd,
    });
    const dataOptions = readDataOptions(values, config);
    const dataPath = resolve(cwd, data);
    if (preview !== undefined) {
      const { previewRequests } = await import('../../prep/preview-requests.ts');
      const result = await previewRequests({ dataPath, prompts, data: dataOptions, perPrompt: preview });
      if (json) {
        process.stdout.write(`${JSON.stringify(result)}\n`);
        return;
      }
      for (const [name, requests] of Object.entries(result.requests)) {
        process.stdout.write(`# ${name}: ${String(requests.length)} shown\n`);
        for (const request of requests) process.stdout.write(`${JSON.stringify(request, null, 2)}\n`);
      }
      for (const reject of result.rejects.slice(0, 20)) {
        process.stderr.write(
          `batchpilot: reject ${reject.where}${reject.prompt === null ? '' : ` (${reject.prompt})`}: ${reject.reason}\n`,
        );
      }
      return;
    }
    const { prepareData } = await import('../../prep/prepare-data.ts');
    const onlyKeys = await readOnlyKeys(values);
    const requestsPath = resolve(cwd, typeof values['out'] === 'string' ? values['out'] : 'requests.jsonl');
    const result = await prepareData({
      dataPath,
      prompts,
      outDir: dirname(requestsPath),
      requestsFile: requestsPath,
      data: { format: dataOptions.format, key: dataOptions.key, groupBy: dataOptions.group_by },
      ...(onlyKeys === undefined ? {} : { onlyKeys }),
    });
    if (json) {
      const { manifest: _manifest, ...rest } = result;
      process.stdout.write(`${JSON.stringify({ ...rest, prompts: result.manifest.prompts })}\n`);
      return;
    }
    const { counts } = result;
    const lines = [
      `prepared  ${String(counts.requests)} requests from ${String(counts.rows)} rows x ${String(prompts.prompts.length)} prompts -> ${result.requestsPath}`,
    ];
    for (const prompt of result.manifest.prompts) {
      lines.push(
        `  ${prompt.name}: ${String(prompt.requests)} requests, ${String(prompt.skipped)} skipped by when, ${String(prompt.rejected)} rejected (asks JSON: ${prompt.jsonRequest})`,
      );
    }
    lines.push(`manifest  ${result.manifestPath}`);
    const rejectCount = counts.rejected + counts.rejectedRows;
    lines.push(`rejects   ${String(rejectCount)}${rejectCount > 0 ? ` -> ${result.rejectsPath}` : ''}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  });
}

function parsePreview(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1) {
    throw new UsageError(
      'USAGE',
      `--preview expects a whole number from 1 up, got "${typeof value === 'string' ? value : typeof value}"`,
      {
        context: { flag: '--preview' },
      },
    );
  }
  return count;
}
