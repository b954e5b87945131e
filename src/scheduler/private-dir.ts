import { lstat, mkdir } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { BatchpilotError } from '../errors/index.ts';

/**
 * The folder a submission socket sits in must be one only this user can write: then no other
 * local user can put a socket of their own at the path, nor swap ours for theirs between our
 * check and our connect. Checked with `lstat`, so a symlink planted at the path is refused
 * rather than followed. Not checked on Windows (named pipes have no folder).
 */

/** Group and other write bits: a folder with either lets another user replace what is in it. */
const FOREIGN_WRITE = 0o022;

/** This process's uid, or undefined where there are none (Windows). */
export function ownUid(): number | undefined {
  return process.getuid?.();
}

function unsafe(path: string, why: string, fix: string, cause?: unknown): BatchpilotError {
  return new BatchpilotError(
    'SCHEDULER_SOCKET_UNSAFE',
    `the scheduler socket folder ${path} ${why}, so the API key is not sent there; ${fix}`,
    { context: { file: path }, ...(cause === undefined ? {} : { cause }) },
  );
}

/** Why `stats` (of `path`, by lstat) is not a folder private to `uid`, or undefined when it is. */
function describeForeignDir(stats: Stats, uid: number): string | undefined {
  if (stats.isSymbolicLink()) return 'is a symbolic link';
  if (!stats.isDirectory()) return 'is not a folder';
  if (stats.uid !== uid) return `belongs to uid ${String(stats.uid)}, not to this user (uid ${String(uid)})`;
  if ((stats.mode & FOREIGN_WRITE) !== 0)
    return `can be written by other users (mode ${(stats.mode & 0o777).toString(8)})`;
  return undefined;
}

/**
 * Makes sure `dir` is a folder that only this user can write, creating it (0700) when
 * `create` is set and it is missing. Throws `SCHEDULER_SOCKET_UNSAFE` when it belongs to
 * someone else, is a symlink, or is writable by group or others; returns false when it is
 * missing and `create` is not set.
 */
export async function ensurePrivateDir(dir: string, options: { create: boolean }): Promise<boolean> {
  const uid = ownUid();
  if (uid === undefined) return true;
  let stats: Stats;
  try {
    stats = await lstat(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw unsafe(
        dir,
        `cannot be checked (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
        'check its permissions',
        error,
      );
    }
    if (!options.create) return false;
    try {
      // Not recursive: the parent (the workspace or the temp folder) exists; a missing one is an error.
      await mkdir(dir, { mode: 0o700 });
    } catch (mkdirError) {
      // EEXIST: someone made it between our lstat and mkdir; the lstat below judges it.
      if ((mkdirError as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw unsafe(
          dir,
          `cannot be created (${(mkdirError as NodeJS.ErrnoException).code ?? 'error'})`,
          'check the permissions of its parent folder',
          mkdirError,
        );
      }
    }
    stats = await lstat(dir);
  }
  const problem = describeForeignDir(stats, uid);
  if (problem !== undefined) {
    const ours = stats.isDirectory() && !stats.isSymbolicLink() && stats.uid === uid;
    const fix = ours
      ? `make it private with "chmod 700 ${dir}" and run the command again`
      : `remove it (it is not yours: another user may be waiting for the key there) and run the command again`;
    throw unsafe(dir, problem, fix);
  }
  return true;
}

/**
 * Whether the socket at `path` may be sent a key: a socket (not a symlink) owned by this
 * user. Returns 'missing' when there is none yet; throws `SCHEDULER_SOCKET_UNSAFE` otherwise.
 */
export async function checkOwnSocket(path: string): Promise<'ok' | 'missing'> {
  const uid = ownUid();
  if (uid === undefined) return 'ok';
  let stats: Stats;
  try {
    stats = await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
  if (stats.isSocket() && stats.uid === uid) return 'ok';
  const what = stats.isSocket() ? `belongs to uid ${String(stats.uid)}` : 'is not a socket';
  throw new BatchpilotError(
    'SCHEDULER_SOCKET_UNSAFE',
    `the scheduler socket ${path} ${what}, not to this user (uid ${String(uid)}), so the API key is not sent there; remove it and run the command again`,
    { context: { file: path } },
  );
}
