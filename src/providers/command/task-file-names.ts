import { createHash } from 'node:crypto';
import { join } from 'node:path';

/** Characters of a custom id kept as they are in file names; any other becomes `_`. */
const UNSAFE_CHARACTERS = /[^A-Za-z0-9._-]/g;

/** Room for the hash and the longest suffix within the usual 255-byte name limit, with margin. */
const MAX_READABLE_LENGTH = 100;

/** Hex digits of the custom id's SHA-256 in the name: 40 bits. */
const HASH_LENGTH = 10;

/** The folder, under the job's folder, that holds every task's log and output file. */
export const TASKS_FOLDER = 'tasks';

/**
 * The file-name stem of a task: its custom id made safe (characters other than letters, digits, `.`, `_` and `-`
 * become `_`, no leading dot or `-`, so no name reads as an option; at most 100 characters) and a short hash of the whole id, e.g. `img-7_a-3f2b9c01d4`.
 * The hash keeps names unique where the safe forms collide: `a/b` and `a_b`, ids cut at the same 100 characters, and
 * `A` and `a` on case-insensitive file systems.
 */
export function taskFileStem(customId: string): string {
  const readable = customId
    .replace(UNSAFE_CHARACTERS, '_')
    .replace(/^[.-]+/, '_')
    .slice(0, MAX_READABLE_LENGTH);
  const hash = createHash('sha256').update(customId).digest('hex').slice(0, HASH_LENGTH);
  return readable === '' ? hash : `${readable}-${hash}`;
}

export interface TaskFilePaths {
  /** `<workDir>/tasks/<stem>.log`: every attempt's output, appended. */
  logPath: string;
  /** `<workDir>/tasks/<stem>.out.json`: the `{output_path}` of the task's command. */
  outputPath: string;
}

export function taskFilePaths(workDir: string, customId: string): TaskFilePaths {
  const stem = join(workDir, TASKS_FOLDER, taskFileStem(customId));
  return { logPath: `${stem}.log`, outputPath: `${stem}.out.json` };
}
