import type { Command } from 'commander';
import type { ConfigFlags } from '../../config/config-flags.ts';
import { DEFAULT_CONFIG_FILES } from '../../config/read-config-file.ts';
import type { Approvals } from '../../plan/check-safety-caps.ts';

/** Declares the flags that set config keys (SPEC section 4: flags win over env, file and defaults). */
export function addConfigOptions(command: Command): Command {
  return command
    .option('--base-url <url>', 'OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1')
    .option('--model <name>', 'model for message rows that name none')
    .option('--concurrency <n>', 'requests in flight at most')
    .option('--limit <n>', 'take only the first N valid items (0 = all)')
    .option('--rpm <n>', 'requests per minute (0 = unlimited)')
    .option('--tpm <n>', 'tokens per minute (0 = unlimited)')
    .option('--max-attempts <n>', 'attempts per item')
    .option('--timeout-ms <n>', 'per-request timeout in ms')
    .option('--format <format>', 'input format: auto | openai_batch | messages')
    .option('--messages-key <key>', 'key of the messages array in message rows')
    .option('--api-key-env <name>', 'environment variable that holds the API key')
    .option('--order <order>', 'output order: input | completion')
    .option('--set <key=value>', 'set any config key, e.g. --set request.temperature=0.2 (repeatable)', collect, [])
    .option('--approve-concurrency', 'allow a concurrency over limits.concurrency')
    .option('--approve-items', 'allow more items than limits.max_items')
    .option('--approve-budget', 'allow a job whose estimated cost is over limits.budget_usd');
}

/** Where `--config` is looked for when it is not given, for its help text: the first of these in the working folder. */
export const DEFAULT_CONFIG_FILES_HELP = `default: the first of ${DEFAULT_CONFIG_FILES.map((name) => `./${name}`).join(', ')}`;

/** The approval flags of the safety policy (SPEC section 10), as given on this command line. */
export function readApprovals(values: Record<string, unknown>): Approvals {
  return {
    concurrency: values['approveConcurrency'] === true,
    items: values['approveItems'] === true,
    budget: values['approveBudget'] === true,
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Whether any config flag was given: then a job carried on keeps them with its stored config. */
export function hasConfigFlags(flags: ConfigFlags): boolean {
  return Object.values(flags).some((value) => (Array.isArray(value) ? value.length > 0 : value !== undefined));
}

export function readConfigFlags(values: Record<string, unknown>): ConfigFlags {
  const text = (key: string): string | undefined => (typeof values[key] === 'string' ? values[key] : undefined);
  return {
    baseUrl: text('baseUrl'),
    model: text('model'),
    concurrency: text('concurrency'),
    limit: text('limit'),
    rpm: text('rpm'),
    tpm: text('tpm'),
    maxAttempts: text('maxAttempts'),
    timeoutMs: text('timeoutMs'),
    format: text('format'),
    messagesKey: text('messagesKey'),
    apiKeyEnv: text('apiKeyEnv'),
    order: text('order'),
    set: Array.isArray(values['set']) ? (values['set'] as string[]) : [],
  };
}
