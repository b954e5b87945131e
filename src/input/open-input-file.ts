import { open, type FileHandle } from 'node:fs/promises';

import { InputError } from '../errors/index.ts';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
};

/** Open the input file for reading, turning every failure into `INPUT_UNREADABLE`. */
export async function openInputFile(path: string): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw createUnreadableError(path, error);
  }
  try {
    // Opening a directory read-only succeeds on Linux; the failure would only show on the first read.
    const stats = await handle.stat();
    if (stats.isDirectory()) {
      throw Object.assign(new Error(`EISDIR: illegal operation on a directory, open '${path}'`), { code: 'EISDIR' });
    }
  } catch (error) {
    await handle.close();
    throw createUnreadableError(path, error);
  }
  return handle;
}

/** The `INPUT_UNREADABLE` error for a failed open or read of the input file. */
export function createUnreadableError(path: string, cause: unknown): InputError {
  if (cause instanceof InputError) return cause;
  const code = (cause as { code?: unknown } | null)?.code;
  const reason =
    (typeof code === 'string' ? REASONS[code] : undefined) ?? (cause instanceof Error ? cause.message : String(cause));
  return new InputError('INPUT_UNREADABLE', `cannot read input file ${path}: ${reason}; check the path`, {
    cause,
    context: { file: path },
  });
}
