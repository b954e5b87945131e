import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createStore } from '../../src/store/create-store.ts';

/**
 * A job's active time is summed over all its runs, killed ones included: each lease heartbeat adds the time since the
 * previous one while the job runs. Before, only a run that reached finalize added its time, so report.json of a job
 * killed 36 times and finished once counted only the last run.
 */
describe('active time of a job run many times', () => {
  it('counts every run up to its last heartbeat, capped per step, and nothing while not running', async () => {
    const workspace = await mkdtemp(join(tmpdir(), 'bp-active-'));
    const dead = new Set<number>();
    const store = createStore({ workspace, isProcessAlive: (pid) => !dead.has(pid) });
    try {
      await store.createJob({
        id: 'j',
        inputPath: '/tmp/in.jsonl',
        inputFingerprint: { size: 1, sample: 'x' },
        config: {},
        outDir: '/tmp/out',
        now: 0,
      });
      // Run 1: leased at t=1000, running, heartbeats at 3000 and 5000, then killed (no release).
      await store.acquireLease('j', { pid: 101, host: 'h', token: 'a', heartbeatAt: 1000 }, 15_000);
      await store.setJobState('j', 'running');
      await store.heartbeat('j', 'a', 3000, 15_000);
      await store.heartbeat('j', 'a', 5000, 15_000);
      dead.add(101);
      // Run 2, an hour later: the takeover does not count the hour; a late beat counts at most the cap.
      await store.acquireLease('j', { pid: 102, host: 'h', token: 'b', heartbeatAt: 3_605_000 }, 15_000);
      await store.setJobState('j', 'running');
      await store.heartbeat('j', 'b', 3_607_000, 15_000);
      await store.heartbeat('j', 'b', 3_707_000, 15_000);
      assert.equal((await store.getJob('j'))?.activeMs, 4000 + 2000 + 15_000);
      // Not running: heartbeats refresh the lease and add nothing.
      await store.setJobState('j', 'interrupted');
      await store.heartbeat('j', 'b', 3_709_000, 15_000);
      assert.equal((await store.getJob('j'))?.activeMs, 21_000);
    } finally {
      await store.close();
      await rm(workspace, { recursive: true, force: true });
    }
  });
});
