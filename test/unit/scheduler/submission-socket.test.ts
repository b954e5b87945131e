import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { submissionSocketPath } from '../../../src/scheduler/scheduler-paths.ts';
import {
  closeSubmissionServer,
  listenForSubmissions,
  sendSubmission,
  type Submission,
} from '../../../src/scheduler/submission-socket.ts';

/** The key hand-over between a `--detach` and a running scheduler: one JSON line each way, nothing on disk. */

describe('submission socket', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bp-socket-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('hands a submission over and returns the answer', async () => {
    const path = submissionSocketPath(dir);
    const received: Submission[] = [];
    const server = await listenForSubmissions(path, (submission) => {
      received.push(submission);
      return Promise.resolve(submission.jobId === 'known' ? { ok: true } : { ok: false, reason: 'no such job' });
    });
    try {
      assert.deepEqual(await sendSubmission(path, { jobId: 'known', env: { OPENAI_API_KEY: 'sk-test' } }, 2000), {
        ok: true,
      });
      assert.deepEqual(await sendSubmission(path, { jobId: 'other', env: {} }, 2000), {
        ok: false,
        reason: 'no such job',
      });
      assert.deepEqual(received, [
        { jobId: 'known', env: { OPENAI_API_KEY: 'sk-test' } },
        { jobId: 'other', env: {} },
      ]);
    } finally {
      await closeSubmissionServer(server, path);
    }
    if (process.platform !== 'win32') await assert.rejects(stat(path), { code: 'ENOENT' });
  });

  it('waits for a scheduler that is still starting, and gives up when none answers', async () => {
    const path = submissionSocketPath(join(dir, 'late'));
    await mkdir(join(dir, 'late'), { recursive: true });
    const sent = sendSubmission(path, { jobId: 'j', env: {} }, 3000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const server = await listenForSubmissions(path, () => Promise.resolve({ ok: true }));
    try {
      assert.deepEqual(await sent, { ok: true });
    } finally {
      await closeSubmissionServer(server, path);
    }
    const started = Date.now();
    assert.equal(await sendSubmission(path, { jobId: 'j', env: {} }, 300), undefined);
    assert.ok(Date.now() - started < 2000);
  });

  it('keeps the socket path short enough for any workspace', () => {
    const deep = join(dir, 'a'.repeat(150));
    const path = submissionSocketPath(deep);
    if (process.platform !== 'win32') assert.ok(Buffer.byteLength(path) <= 100, path);
    assert.equal(submissionSocketPath(deep), path, 'the same workspace always gets the same socket');
  });
});
