import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startDashboard } from '../../src/server/dashboard-server.ts';
import { createStore } from '../../src/store/create-store.ts';
import { describeResult } from '../helpers/run-cli.ts';
import { ITEMS, ROWS, usePostgresStoreWorkspace } from '../helpers/postgres-store-workspace.ts';

/**
 * Issue 16: the dashboard over a shared PostgreSQL store (`ui --store postgres://...`): a request job and a data job
 * run there, then their figures as `status --json` has them, their items paged, and one item with its request read
 * from the store itself (a worker elsewhere may have sent it; the store keeps the request).
 */
describe('the dashboard over PostgreSQL', () => {
  const shared = usePostgresStoreWorkspace();
  const { cli, runArgs } = shared;

  it('shows the jobs of a shared store, their items and one item with its request', async () => {
    for (const [source, job, extra] of [
      [shared.input, 'pg-plain', []],
      ['posts.jsonl', 'pg-data', ['--prompts', 'prompts.yaml', '--set', 'data.key=id']],
    ] as const) {
      const run = await cli(['--store', shared.url, ...runArgs(source, job, extra)]);
      assert.equal(run.code, 0, describeResult(run));
    }
    const store = createStore({ workspace: shared.temp.workspace, url: shared.url });
    const dashboard = await startDashboard({ store, workspace: shared.temp.workspace, token: null, env: {} });
    try {
      const get = async <T>(path: string): Promise<T> => {
        const response = await fetch(`${dashboard.origin}${path}`);
        assert.equal(response.status, 200, path);
        return (await response.json()) as T;
      };
      const jobs = await get<{ jobs: { job_id: string }[]; total: number }>('/api/jobs');
      assert.deepEqual(jobs.jobs.map((job) => job.job_id).sort(), ['pg-data', 'pg-plain']);
      for (const [job, count] of [
        ['pg-plain', ITEMS],
        ['pg-data', ROWS],
      ] as const) {
        const status = await cli(['--store', shared.url, 'status', job]);
        const expected = JSON.parse(status.stdout) as { counts: Record<string, number> };
        const view = await get<{ status: { counts: Record<string, number> }; attempts: number }>(`/api/jobs/${job}`);
        assert.deepEqual(view.status.counts, expected.counts, job);
        assert.equal(view.status.counts['succeeded'], count, job);
        assert.ok(view.attempts >= count, job);
        const page = await get<{ items: { seq: number; custom_id: string }[]; total: number }>(
          `/api/jobs/${job}/items?state=succeeded&limit=5`,
        );
        assert.equal(page.total, count);
        const first = page.items[0]!;
        const item = await get<{ request: string; answer: string; request_unreadable: string | null }>(
          `/api/jobs/${job}/items/${String(first.seq)}`,
        );
        assert.equal(item.request_unreadable, null);
        assert.equal((JSON.parse(item.request) as { custom_id: string }).custom_id, first.custom_id);
        assert.ok(item.answer.length > 0);
      }
    } finally {
      await dashboard.close();
      await store.close();
    }
  });
});
