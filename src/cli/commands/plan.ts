import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { ResolvedConfig } from '../../config/config-schema.ts';
import { loadConfig } from '../../config/load-config.ts';
import { ConfigError } from '../../errors/index.ts';
import type { JobPlan } from '../../plan/plan-job.ts';
import { planInput } from '../../compose/plan-input.ts';
import { findCapViolations, type CapViolation } from '../../plan/check-safety-caps.ts';
import { startQuickstartSimulator } from '../../compose/quickstart-simulator.ts';
import type { ModelCheck } from '../../providers/check-models.ts';
import type { SimulatorHandle } from '../../simulator/index.ts';
import { globalOptions } from '../global-options.ts';
import { DEFAULT_CONFIG_FILES_HELP, addConfigOptions, readApprovals, readConfigFlags } from './config-options.ts';

/**
 * `plan INPUT`: the dry run of SPEC section 10. Validates the config and every line, asks the
 * provider about each distinct model once, and prints items, rejects, chunks, tokens, cost
 * (realtime vs batch) and which approvals a run would need. Sends no generation request.
 */
export function registerPlanCommand(program: Command): void {
  addConfigOptions(
    program
      .command('plan')
      .description('dry run: validate config and every line, check models, estimate tokens, cost and chunks')
      .argument('<input>', 'JSONL file of requests')
      .option('--config <file>', `config file (${DEFAULT_CONFIG_FILES_HELP})`)
      .option('--simulate', 'check models against the built-in simulator'),
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
    const plan = await planInput(config, inputPath);
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
      process.stdout.write(`${JSON.stringify({ plan, models_checked: checks, caps: violations })}\n`);
    } else {
      process.stdout.write(`${formatPlan(config, plan, checks, violations)}\n`);
    }
    const unknown = checks.filter((check) => !check.exists);
    if (unknown.length > 0) {
      const first = unknown[0] as ModelCheck;
      const items = plan.models.find((model) => model.model === first.model)?.items ?? 0;
      throw new ConfigError(
        'MODEL_NOT_FOUND',
        `model "${first.model}" (${String(items)} items) is unknown to ${config.base_url ?? 'the provider'}: ${first.detail ?? 'not found'}; fix the model name in the input or in the config's model`,
        { context: { key: 'model' } },
      );
    }
  });
}

function formatPlan(config: ResolvedConfig, plan: JobPlan, checks: ModelCheck[], caps: CapViolation[]): string {
  const number = (value: number): string => value.toLocaleString('en-US');
  const usd = (value: number | null): string => (value === null ? 'unpriced' : `$${value.toFixed(4)}`);
  const lines = [
    `input     ${plan.input} (${number(plan.lines)} lines)`,
    `items     ${number(plan.items)} valid, ${number(plan.rejected)} rejected${plan.left_out_by_limit > 0 ? `, ${number(plan.left_out_by_limit)} left out by limit` : ''}`,
  ];
  for (const reject of plan.rejects_sample) lines.push(`  line ${String(reject.line)}: ${reject.reason}`);
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
