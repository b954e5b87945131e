import { readFile } from 'node:fs/promises';
import { InputError } from '../errors/index.ts';

/**
 * The row keys of an `--only FILE`: one a line, as `rows_without_valid.txt` lists them; blank lines are ignored.
 * INPUT_UNREADABLE naming the file when it cannot be read, or holds no key at all (which would prepare nothing).
 */
export async function readRowKeys(path: string): Promise<Set<string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InputError(
      'INPUT_UNREADABLE',
      `--only ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); give a file of row keys, one a line (a job's rows_without_valid.txt)`,
      { context: { file: path, flag: '--only' } },
    );
  }
  const keys = new Set(
    text
      .split('\n')
      .map((line) => line.replace(/\r$/, ''))
      .filter((line) => line.trim() !== ''),
  );
  if (keys.size === 0) {
    throw new InputError('INPUT_UNREADABLE', `--only ${path}: holds no row key; there would be nothing to prepare`, {
      context: { file: path, flag: '--only' },
    });
  }
  return keys;
}
