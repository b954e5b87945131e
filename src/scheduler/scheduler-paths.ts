import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ensurePrivateDir } from './private-dir.ts';

/** Where the scheduler's own output goes (its stdout and stderr when spawned by `--detach`). */
export function schedulerLogPath(workspace: string): string {
  return join(workspace, 'scheduler.log');
}

/** Unix socket paths longer than this fail to bind on Linux (108 bytes) and macOS (104). */
const MAX_SOCKET_PATH = 100;

/**
 * The local socket a running scheduler listens on for submissions (see submission-socket.ts),
 * always inside a folder only this user may write (checked by `ensurePrivateDir` before use):
 * `<workspace>/scheduler.sock` (the workspace is private, 0700); when that path is too long
 * for a socket, `<temp>/batchpilot-<uid>/<hash of the workspace>.sock`, in a per-user 0700
 * folder (`/tmp` when even the temp folder's path is too long); a named pipe on Windows.
 * A path another user could predict and take first is fine: the folder check refuses it.
 */
export function submissionSocketPath(workspace: string): string {
  const digest = createHash('sha256').update(workspace).digest('hex').slice(0, 16);
  if (process.platform === 'win32') return `\\\\.\\pipe\\batchpilot-scheduler-${digest}`;
  const inWorkspace = join(workspace, 'scheduler.sock');
  if (Buffer.byteLength(inWorkspace) <= MAX_SOCKET_PATH) return inWorkspace;
  const perUser = `batchpilot-${String(process.getuid?.() ?? 'user')}`;
  const inTemp = join(tmpdir(), perUser, `${digest}.sock`);
  if (Buffer.byteLength(inTemp) <= MAX_SOCKET_PATH) return inTemp;
  return join('/tmp', perUser, `${digest}.sock`);
}

/**
 * Makes or checks the folder of the workspace's submission socket (see `ensurePrivateDir`):
 * `SCHEDULER_SOCKET_UNSAFE` when another user could write there. Called before a key is
 * handed over and before a scheduler is started, so an unsafe folder is told at once to the
 * user who ran the command, not only in the scheduler's log.
 */
export async function ensureSubmissionSocketFolder(workspace: string): Promise<void> {
  if (process.platform !== 'win32') await ensurePrivateDir(dirname(submissionSocketPath(workspace)), { create: true });
}
