import type { Command } from 'commander';
import type { ResolvedConfig } from '../../config/config-schema.ts';
import { UsageError } from '../../errors/index.ts';
import { DATA_FORMATS, type DataFormat } from '../../prep/data-row.ts';

/** The data-job flags `plan DATA` shares with `prepare`: the prompts file, the row id column and the data format. */
export function addDataOptions(command: Command): Command {
  return command
    .option('--prompts <file>', "prompts file (YAML: defaults, custom_id, prompts); default: the config's prompts:")
    .option('--data-key <column>', "the column holding each row's id (data.key)")
    .option('--data-format <format>', `data format (data.format): ${DATA_FORMATS.join(', ')}`);
}

/** `--data-format` and `--data-key`, each over the config's `data:`; USAGE for a format that is not one of ours. */
export function readDataOptions(
  values: Record<string, unknown>,
  config: ResolvedConfig,
): { format: DataFormat | undefined; key: string | undefined } {
  const format = values['dataFormat'];
  if (typeof format === 'string' && !(DATA_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError('USAGE', `--data-format must be one of ${DATA_FORMATS.join(', ')}, got "${format}"`, {
      context: { flag: '--data-format' },
    });
  }
  return {
    format: typeof format === 'string' ? (format as DataFormat) : config.data?.format,
    key: typeof values['dataKey'] === 'string' ? values['dataKey'] : config.data?.key,
  };
}
