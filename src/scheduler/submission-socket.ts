import { chmod, rename, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { checkOwnSocket, ensurePrivateDir } from './private-dir.ts';

/**
 * How a `run --detach` that finds a scheduler already running hands over what must never be
 * written down: the environment variables holding the job's API key. One JSON line over a
 * local socket (see `submissionSocketPath`), answered with one JSON line; the scheduler keeps
 * the values in memory for that job only. A scheduler it spawns itself gets them through
 * its environment instead, so this is only the "join a running scheduler" path.
 *
 * The socket lives in a folder only this user can write (`ensurePrivateDir`), is made 0600
 * whatever the umask, and the sender checks that it is a socket this user owns before a key
 * goes out: another local user can neither listen there first nor swap it. The scheduler
 * accepts only the variables the job's own config names.
 */

export interface Submission {
  jobId: string;
  /** Variable name -> value, e.g. `{ OPENAI_API_KEY: '...' }`. */
  env: Record<string, string>;
}

/** What the scheduler answers; `reason` says why a submission was refused. */
export interface SubmissionReply {
  ok: boolean;
  reason?: string;
}

/** A line longer than this is not a submission. */
const MAX_LINE_BYTES = 64 * 1024;

function isSubmission(value: unknown): value is Submission {
  if (typeof value !== 'object' || value === null) return false;
  const { jobId, env } = value as Record<string, unknown>;
  return (
    typeof jobId === 'string' &&
    typeof env === 'object' &&
    env !== null &&
    Object.values(env).every((entry) => typeof entry === 'string')
  );
}

/**
 * Listens for submissions; `onSubmit` decides each reply. The socket's folder is made (0700)
 * or checked first: `SCHEDULER_SOCKET_UNSAFE` when another user could write there. A stale
 * socket file is removed first (the caller holds the lock).
 */
export async function listenForSubmissions(
  path: string,
  onSubmit: (submission: Submission) => Promise<SubmissionReply>,
): Promise<Server> {
  const posix = process.platform !== 'win32';
  // Bound under a temporary name, made 0600, then renamed into place: the socket never shows at its path with the
  // umask's mode, however briefly (the folder is private already; this keeps the socket so on its own).
  const bound = posix ? `${path}.${String(process.pid)}.tmp` : path;
  if (posix) {
    await ensurePrivateDir(dirname(path), { create: true });
    await rm(bound, { force: true });
  }
  const server = createServer((socket) => serveConnection(socket, onSubmit));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(bound, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => undefined);
  if (posix) {
    await chmod(bound, 0o600);
    await rename(bound, path);
  }
  return server;
}

export async function closeSubmissionServer(server: Server, path: string): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (process.platform !== 'win32') await rm(path, { force: true });
}

function serveConnection(socket: Socket, onSubmit: (submission: Submission) => Promise<SubmissionReply>): void {
  let text = '';
  socket.setEncoding('utf8');
  socket.setTimeout(5000, () => socket.destroy());
  socket.on('error', () => undefined);
  socket.on('data', (chunk: string) => {
    text += chunk;
    const end = text.indexOf('\n');
    if (end === -1 && text.length <= MAX_LINE_BYTES) return;
    socket.removeAllListeners('data');
    let value: unknown;
    try {
      value = end === -1 ? undefined : JSON.parse(text.slice(0, end));
    } catch {
      value = undefined;
    }
    const reply = isSubmission(value)
      ? onSubmit(value).catch((error: unknown) => ({ ok: false, reason: String(error) }))
      : Promise.resolve({ ok: false, reason: 'not a submission' });
    void reply.then((answer) => socket.end(`${JSON.stringify(answer)}\n`));
  });
}

/**
 * Sends one submission and waits for the reply. A scheduler that is still starting has no
 * socket yet, so a refused or missing socket is tried again until `timeoutMs`; the result
 * is undefined when no scheduler answered. Before each try the socket's folder must be
 * private to this user and the socket this user's own: else `SCHEDULER_SOCKET_UNSAFE` is
 * thrown and nothing is sent.
 */
export async function sendSubmission(
  path: string,
  submission: Submission,
  timeoutMs: number,
): Promise<SubmissionReply | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = process.platform === 'win32' || (await isOwnSocketReady(path));
    const reply = ready ? await sendOnce(path, submission, Math.max(100, deadline - Date.now())) : 'retry';
    if (reply !== 'retry' || Date.now() >= deadline) return reply === 'retry' ? undefined : reply;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Throws when the folder or the socket is not this user's; false while there is none yet. */
async function isOwnSocketReady(path: string): Promise<boolean> {
  if (!(await ensurePrivateDir(dirname(path), { create: false }))) return false;
  return (await checkOwnSocket(path)) === 'ok';
}

async function sendOnce(
  path: string,
  submission: Submission,
  timeoutMs: number,
): Promise<SubmissionReply | undefined | 'retry'> {
  return new Promise((resolve) => {
    let text = '';
    let settled = false;
    const finish = (result: SubmissionReply | undefined | 'retry'): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const socket = connect(path, () => socket.write(`${JSON.stringify(submission)}\n`));
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      const end = text.indexOf('\n');
      if (end === -1) return;
      try {
        finish(JSON.parse(text.slice(0, end)) as SubmissionReply);
      } catch {
        finish(undefined);
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      finish(error.code === 'ENOENT' || error.code === 'ECONNREFUSED' ? 'retry' : undefined);
    });
    socket.on('close', () => finish(undefined));
  });
}
