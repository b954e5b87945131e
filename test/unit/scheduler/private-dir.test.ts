import assert from 'node:assert/strict';
import { chmod, lstat, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BatchpilotError } from '../../../src/errors/index.ts';
import { ensurePrivateDir } from '../../../src/scheduler/private-dir.ts';
import { listenForSubmissions, sendSubmission } from '../../../src/scheduler/submission-socket.ts';

/**
 * Issue 10 section 2: the submission socket's folder must be this user's alone. A folder others can write, or a
 * symlink in its place, is refused with SCHEDULER_SOCKET_UNSAFE by both ends: the scheduler does not listen there
 * and `--detach` sends no key there. (A folder owned by another user: see scheduler-socket-foreign-user.test.ts.)
 */

function isUnsafe(error: unknown): boolean {
  return error instanceof BatchpilotError && error.code === 'SCHEDULER_SOCKET_UNSAFE';
}

describe('ensurePrivateDir', { skip: process.platform === 'win32' ? 'no socket folders on Windows' : false }, () => {
  let dir = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'batchpilot-private-dir-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a missing folder 0700, and accepts it again', async () => {
    const path = join(dir, 'made');
    assert.equal(await ensurePrivateDir(path, { create: true }), true);
    assert.equal((await lstat(path)).mode & 0o777, 0o700);
    assert.equal(await ensurePrivateDir(path, { create: false }), true);
    assert.equal(await ensurePrivateDir(join(dir, 'absent'), { create: false }), false);
  });

  it('refuses a folder others can write, and a symlink, at both ends', async () => {
    const open = join(dir, 'open');
    await mkdir(open);
    await chmod(open, 0o777);
    const linked = join(dir, 'linked');
    await symlink(join(dir, 'made'), linked);
    for (const folder of [open, linked]) {
      await assert.rejects(ensurePrivateDir(folder, { create: true }), isUnsafe);
      const socket = join(folder, 'scheduler.sock');
      await assert.rejects(
        listenForSubmissions(socket, () => Promise.resolve({ ok: true })),
        isUnsafe,
      );
      await assert.rejects(sendSubmission(socket, { jobId: 'j', env: { KEY: 'value' } }, 200), isUnsafe);
    }
  });
});
