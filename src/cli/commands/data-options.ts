import type { Command } from 'commander';
import type { ResolvedConfig } from '../../config/config-schema.ts';
import { UsageError } from '../../errors/index.ts';
import { DATA_FORMATS, type DataFormat } from '../../prep/data-row.ts';

/** The flags of a command that reads data rows (`prepare`, `run DATA --prompts`, `plan DATA --prompts`). */
export function addDataOptions(command: Command): Command {
  return command
    .option('--prompts <file>', "prompts file (YAML: defaults, custom_id, prompts); default: the config's prompts:")
    .option('--data-key <column>', "the column holding each row's id (data.key)")
    .option('--data-format <format>', `data format (data.format): ${DATA_FORMATS.join(', ')}`)
    .option('--only <file>', "only the rows whose keys the file lists, one a line (a job's rows_without_valid.txt)");
}

/** `--only FILE`'s keys, or undefined without the flag. */
export async function readOnlyKeys(values: Record<string, unknown>): Promise<Set<string> | undefined> {
  const file = values['only'];
  if (typeof file !== 'string') return undefined;
  const { readRowKeys } = await import('../../prep/read-row-keys.ts');
  return readRowKeys(file);
}

/** `data.format` and `data.key`: the flags over the config's `data:` section (`data.group_by` from the config). */
export function readDataOptions(
  values: Record<string, unknown>,
  config: Pick<ResolvedConfig, 'data'>,
): { format: DataFormat | undefined; key: string | undefined; group_by: string | undefined } {
  const formatFlag = values['dataFormat'];
  if (typeof formatFlag === 'string' && !(DATA_FORMATS as readonly string[]).includes(formatFlag)) {
    throw new UsageError('USAGE', `--data-format must be one of ${DATA_FORMATS.join(', ')}, got "${formatFlag}"`, {
      context: { flag: '--data-format' },
    });
  }
  return {
    format: (typeof formatFlag === 'string' ? formatFlag : config.data?.format) as DataFormat | undefined,
    key: typeof values['dataKey'] === 'string' ? values['dataKey'] : config.data?.key,
    group_by: config.data?.group_by,
  };
}

/** Whether a command's argument is data rows: `--prompts` given, or the config has a `prompts:` section. */
export function isDataCommand(values: Record<string, unknown>, config: Pick<ResolvedConfig, 'prompts'>): boolean {
  return typeof values['prompts'] === 'string' || config.prompts !== undefined;
}

/** `--data-key`, `--data-format` and `--only` read data rows: without prompts they would be ignored, so USAGE. */
export function assertDataFlagsHavePrompts(values: Record<string, unknown>, isData: boolean): void {
  if (isData) return;
  const flag = (['dataKey', 'dataFormat', 'only'] as const).find((key) => values[key] !== undefined);
  if (flag === undefined) return;
  const name = { dataKey: '--data-key', dataFormat: '--data-format', only: '--only' }[flag];
  throw new UsageError(
    'USAGE',
    `${name} is for a data file: pass --prompts FILE too (or a prompts: section in the config)`,
    {
      context: { flag: name },
    },
  );
}
