import { redactSecrets } from '../../util/redact.ts';

const MASK = '***';

/** Arguments shown without quotes; anything else is single-quoted the way a POSIX shell would read it. */
const PLAIN_ARGUMENT = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * The values that follow a secret argument in a filled argv: `--api-key VALUE` and `--api-key=VALUE` both give
 * `VALUE`. These are masked wherever the task's command or output is shown.
 */
export function findSecretArgValues(argv: readonly string[], secretArgs: readonly string[]): string[] {
  const values: string[] = [];
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index] ?? '';
    for (const name of secretArgs) {
      if (argument === name && index + 1 < argv.length) values.push(argv[index + 1] ?? '');
      else if (argument.startsWith(`${name}=`)) values.push(argument.slice(name.length + 1));
    }
  }
  return values.filter((value) => value !== '');
}

/**
 * A filled argv as one line for logs and previews, e.g. `python3 gen.py --api-key *** --prompt 'a cat'`: the value
 * after each of `secretArgs` (and in `--flag=value` form) becomes `***`, and `secrets` (known keys) are masked
 * anywhere, along with the key patterns `redactSecrets` knows.
 */
export function formatCommandPreview(
  argv: readonly string[],
  secretArgs: readonly string[],
  secrets: readonly string[],
): string {
  const shown: string[] = [];
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index] ?? '';
    const flag = secretArgs.find((name) => argument.startsWith(`${name}=`));
    if (flag !== undefined) {
      shown.push(`${flag}=${MASK}`);
      continue;
    }
    shown.push(quoteArgument(argument));
    if (secretArgs.includes(argument) && index + 1 < argv.length) {
      shown.push(MASK);
      index += 1;
    }
  }
  return redactSecrets(shown.join(' '), secrets);
}

function quoteArgument(argument: string): string {
  if (PLAIN_ARGUMENT.test(argument)) return argument;
  return `'${argument.replace(/'/g, `'\\''`).replace(/[\r\n]+/g, ' ')}'`;
}
