import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { ResolvedConfig } from '../../config/config-schema.ts';
import { loadConfig } from '../../config/load-config.ts';
import { ConfigError } from '../../errors/index.ts';
import type { JobPlan } from '../../plan/plan-job.ts';
import { planInput } from '../../compose/plan-input.ts';
import type { DataPlan } from '../../compose/plan-data.ts';
import { findCapViolations, type CapViolation } from '../../plan/check-safety-caps.ts';
import { startQuickstartSimulator } from '../../compose/quickstart-simulator.ts';
import type { ModelCheck } from '../../providers/check-models.ts';
import type { SimulatorHandle } from '../../simulator/index.ts';
import { globalOptions } from '../global-options.ts';
import { withStopSignals } from '../with-stop-signals.ts';
import { DEFAULT_CONFIG_FILES_HELP, addConfigOptions, readApprovals, readConfigFlags } from './config-options.ts';
import {
  addDataOptions,
  assertDataFlagsHavePrompts,
  isDataCommand,
  readDataOptions,
  readOnlyKeys,
} from './data-options.ts';

/**
 * `plan INPUT` (or `plan DATA --prompts FILE`): the dry run of SPEC section 10. Validates the config and every line, asks the
 * provider about each distinct model once, and prints items, rejects, chunks, tokens, cost
 * (realtime vs batch) and which approvals a run would need. Sends no generation request.
 * `plan DATA --prompts FILE` (or with the config's `prompts:`) prepares the data in a temp folder first and adds
 * the figures per prompt (compose/plan-data.ts).
 */
export function registerPlanCommand(program: Command): void {
  addDataOptions(
    addConfigOptions(
      program
        .command('plan')
        .description('dry run: validate config and every line, check models, estimate tokens, cost and chunks')
        .argument('<input>', 'JSONL file of requests, or with --prompts a data file (as for prepare)')
        .option('--config <file>', `config file (${DEFAULT_CONFIG_FILES_HELP})`)
        .option('--simulate', 'check models against the built-in simulator'),
    ),
  ).action(async (input: string, values: Record<string, unknown>, command: Command) => {
    const { json } = globalOptions(command);
    const inputPath = resolve(input);
    const simulate = values['simulate'] === true;
    const { config, warnings } = await loadConfig({
      cwd: process.cwd(),
      ...(typeof values['config'] === 'string' ? { configPath: values['config'] } : {}),
      env: process.env,
      flags: readConfigFlags(values),
      simulate,
    });
    for (const warning of warnings) process.stderr.write(`batchpilot: warning: ${warning}\n`);
    // Loaded here: the model check needs undici, which other commands do without.
    const { checkModels } = await import('../../providers/check-models.ts');
    const promptsFlag = typeof values['prompts'] === 'string' ? values['prompts'] : undefined;
    const isData = isDataCommand(values, config);
    assertDataFlagsHavePrompts(values, isData);
    const dataPlan = isData ? await planDataWithSignals(config, inputPath, promptsFlag, values) : undefined;
    const plan = dataPlan?.plan ?? (await planInput(config, inputPath));
    let simulator: SimulatorHandle | undefined;
    let checks: ModelCheck[];
    try {
      if (simulate) simulator = await startQuickstartSimulator();
      const baseUrl = simulator?.baseUrl ?? config.base_url ?? '';
      const models = plan.models.map((model) => model.model).filter((model) => model !== '(no model)');
      checks = await checkModels(
        { provider: config.provider, baseUrl, apiKey: config.apiKey, timeoutMs: 30_000, proxy: config.proxy },
        models,
      );
    } finally {
      await simulator?.close();
    }
    const violations = findCapViolations(
      config,
      { items: plan.items, estimatedCostUsd: plan.cost?.realtime_usd ?? null },
      readApprovals(values),
    );
    if (json) {
      const data = dataPlan === undefined ? {} : { prepare: dataPlan.prepare, prompts: dataPlan.prompts };
      process.stdout.write(`${JSON.stringify({ plan, ...data, models_checked: checks, caps: violations })}\n`);
    } else {
      process.stdout.write(`${formatPlan(config, plan, checks, violations, dataPlan)}\n`);
    }
    const unknown = checks.filter((check) => !check.exists);
    if (unknown.length > 0) {
      const first = unknown[0] as ModelCheck;
      const items = plan.models.find((model) => model.model === first.model)?.items ?? 0;
      throw new ConfigError(
        'MODEL_NOT_FOUND',
        `model "${first.model}" (${String(items)} items) is unknown to ${config.base_url ?? 'the provider'}: ${first.detail ?? 'not found'}; fix the model name ${dataPlan === undefined ? 'in the input' : "in the prompts' model (or defaults.model)"} or in the config's model`,
        { context: { key: 'model' } },
      );
    }
  });
}

/**
 * Prepares the data (Ctrl-C and SIGTERM stop it: the temp folder is removed and the plan ends with `INTERRUPTED`)
 * and plans it per prompt. The prep module is loaded only here.
 */
async function planDataWithSignals(
  config: ResolvedConfig,
  dataPath: string,
  promptsPath: string | undefined,
  values: Record<string, unknown>,
): Promise<DataPlan> {
  const data = readDataOptions(values, config);
  const { loadPromptSet } = await import('../../prep/load-prompt-set.ts');
  const { planData } = await import('../../compose/plan-data.ts');
  const prompts = await loadPromptSet({
    promptsPath,
    configPrompts: config.prompts,
    configFile: config.configFile,
    cwd: process.cwd(),
  });
  const onlyKeys = await readOnlyKeys(values);
  return withStopSignals((signal) => planData(config, { dataPath, prompts, data, onlyKeys, signal }));
}

function formatPlan(
  config: ResolvedConfig,
  plan: JobPlan,
  checks: ModelCheck[],
  caps: CapViolation[],
  dataPlan: DataPlan | undefined,
): string {
  const number = (value: number): string => value.toLocaleString('en-US');
  const usd = (value: number | null): string => (value === null ? 'unpriced' : `$${value.toFixed(4)}`);
  const lines = dataPlan === undefined ? [`input     ${plan.input} (${number(plan.lines)} lines)`] : [];
  if (dataPlan !== undefined) {
    const { counts, rejects_sample: sample } = dataPlan.prepare;
    const rejected = counts.rejected + counts.rejectedRows;
    lines.push(
      `data      ${plan.input} (${number(counts.rows)} rows) x ${number(dataPlan.prompts.length)} prompts: ` +
        `${number(counts.requests)} requests, ${number(counts.skipped)} skipped by when, ${number(rejected)} rejected`,
    );
    for (const reject of sample) {
      lines.push(`  ${reject.where}${reject.prompt === null ? '' : ` (${reject.prompt})`}: ${reject.reason}`);
    }
    if (rejected > sample.length) lines.push(`  ... and ${number(rejected - sample.length)} more`);
    for (const prompt of dataPlan.prompts) {
      lines.push(
        `prompt    ${prompt.name}: ${number(prompt.requests)} requests, ${number(prompt.skipped)} skipped by when, ` +
          `${number(prompt.rejected)} rejected; ${number(prompt.input_tokens)} input tokens, at most ` +
          `${number(prompt.output_tokens_bound)} output; ${usd(prompt.cost_realtime_usd)} realtime / ${usd(prompt.cost_batch_usd)} batch`,
      );
    }
  }
  lines.push(
    `items     ${number(plan.items)} valid, ${number(plan.rejected)} rejected${plan.left_out_by_limit > 0 ? `, ${number(plan.left_out_by_limit)} left out by limit` : ''}`,
  );
  // A data plan's line numbers are those of the prepared requests, which are gone: say so.
  const linePrefix = dataPlan === undefined ? 'line' : 'prepared request line';
  for (const reject of plan.rejects_sample) lines.push(`  ${linePrefix} ${String(reject.line)}: ${reject.reason}`);
  lines.push(
    `mode      ${config.mode} via ${config.provider}${plan.chunks === null ? '' : `, ${number(plan.chunks)} chunks`}`,
  );
  for (const model of plan.models) {
    const check = checks.find((item) => item.model === model.model);
    const known = check === undefined ? '' : check.exists ? ' (known)' : ` (UNKNOWN: ${check.detail ?? 'not found'})`;
    lines.push(
      `model     ${model.model}${known}: ${number(model.items)} items, ${number(model.input_tokens)} input tokens, ` +
        `${number(model.output_tokens_expected)} output expected (at most ${number(model.output_tokens_bound)}), ` +
        `${usd(model.cost_realtime_usd)} realtime / ${usd(model.cost_batch_usd)} batch`,
    );
  }
  if (plan.cost !== null) {
    lines.push(
      `cost      ${usd(plan.cost.realtime_usd)} realtime, ${usd(plan.cost.batch_usd)} batch (at most ${usd(plan.cost.at_most_realtime_usd)} realtime)` +
        (plan.cost.unpriced_models.length > 0
          ? `; no price for ${plan.cost.unpriced_models.join(', ')} (set prices.<model>)`
          : ''),
    );
    lines.push(`          ${plan.assumptions}`);
  }
  for (const violation of caps) lines.push(`caps      ${violation.code}: ${violation.message}`);
  if (caps.length === 0) lines.push('caps      within every cap');
  return lines.join('\n');
}
