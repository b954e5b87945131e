import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where the scheduler's own output goes (its stdout and stderr when spawned by `--detach`). */
export function schedulerLogPath(workspace: string): string {
  return join(workspace, 'scheduler.log');
}

/** Unix socket paths longer than this fail to bind on Linux (108 bytes) and macOS (104). */
const MAX_SOCKET_PATH = 100;

/**
 * The local socket a running scheduler listens on for submissions (see submission-socket.ts):
 * `<workspace>/scheduler.sock`, or, when that path is too long for a socket, one in the
 * temp folder named after the workspace; a named pipe on Windows.
 */
export function submissionSocketPath(workspace: string): string {
  const digest = createHash('sha256').update(workspace).digest('hex').slice(0, 16);
  if (process.platform === 'win32') return `\\\\.\\pipe\\batchpilot-scheduler-${digest}`;
  const inWorkspace = join(workspace, 'scheduler.sock');
  if (Buffer.byteLength(inWorkspace) <= MAX_SOCKET_PATH) return inWorkspace;
  return join(tmpdir(), `batchpilot-scheduler-${digest}.sock`);
}
