import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDashboard, type DashboardHandle } from '../../src/server/dashboard-server.ts';
import { createStore } from '../../src/store/create-store.ts';
import type { Store } from '../../src/store/store.ts';
import { describeResult, runCli } from '../helpers/run-cli.ts';
import { type SimulatorHandle, startSimulator } from '../helpers/start-simulator.ts';
import { chatBatchLines, createTempWorkspace, type TempWorkspace, toJsonl } from '../helpers/temp-workspace.ts';

/**
 * Issue 16: the dashboard's API over a real job. A run against the simulator (failures, and an endpoint that echoes
 * the key back), then `batchpilot ui`'s server on the same workspace: its figures are `status --json`'s, its item
 * pages cover every item once under each filter, one item shows its request and answer, a token is required when set,
 * and the key appears in no answer of the API.
 */

const KEY = 'bp-dash/Key+0123456789abcdefXYZ';
const NEEDLES = [KEY, '0123456789abcdefXYZ', encodeURIComponent(KEY)];
const TOKEN = 'dashboard-token-0123456789';
const ITEMS = 80;

describe('the dashboard API', () => {
  let temp: TempWorkspace;
  let sim: SimulatorHandle;
  let store: Store;
  let dashboard: DashboardHandle;
  const bodies: string[] = [];

  before(async () => {
    temp = await createTempWorkspace('batchpilot-dash-');
    sim = await startSimulator({
      apiKey: KEY,
      latencyMs: 1,
      seed: 16,
      echoAuthRate: 0.5,
      failureRates: { http500: 0.15 },
    });
    const input = await temp.write('input.jsonl', toJsonl(chatBatchLines(ITEMS)));
    await temp.write('batchpilot.yaml', 'api_key_env: DASH_TEST_KEY\n');
    const run = await runCli(
      [
        '--workspace',
        temp.workspace,
        'run',
        input,
        '--job',
        'dash',
        '--base-url',
        sim.baseUrl,
        '--no-progress',
        '--max-attempts',
        '1',
      ],
      { cwd: temp.dir, env: { DASH_TEST_KEY: KEY } },
    );
    assert.equal(run.code, 3, describeResult(run));
    store = createStore({ workspace: temp.workspace });
    dashboard = await startDashboard({
      store,
      workspace: temp.workspace,
      token: TOKEN,
      env: { DASH_TEST_KEY: KEY },
    });
  });

  after(async () => {
    await dashboard.close();
    await store.close();
    await sim.close();
    await temp.remove();
  });

  async function get<T>(path: string, token: string | null = TOKEN): Promise<{ status: number; body: T }> {
    const response = await fetch(`${dashboard.origin}${path}`, {
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    });
    const text = await response.text();
    bodies.push(text);
    return { status: response.status, body: JSON.parse(text) as T };
  }

  interface ItemPage {
    items: { seq: number; custom_id: string; state: string; error_code: string | null }[];
    next_after: number | null;
    total: number;
  }

  /** Every item under `query`, page after page of `limit`. */
  async function allItems(query: string, limit: number): Promise<ItemPage['items']> {
    const items: ItemPage['items'] = [];
    let after = -1;
    for (let pages = 0; pages < 1000; pages++) {
      const { body } = await get<ItemPage>(
        `/api/jobs/dash/items?${query}&limit=${String(limit)}&after=${String(after)}`,
      );
      items.push(...body.items);
      if (body.next_after === null) return items;
      after = body.next_after;
    }
    throw new Error('more pages than items');
  }

  it('shows the job with the figures `status --json` shows', async () => {
    const status = await runCli(['--workspace', temp.workspace, '--json', 'status', 'dash'], { cwd: temp.dir });
    const expected = JSON.parse(status.stdout) as { counts: Record<string, number>; state: string };
    const jobs = await get<{ jobs: { job_id: string; counts: unknown; state: string }[]; total: number }>('/api/jobs');
    assert.equal(jobs.status, 200);
    assert.equal(jobs.body.total, 1);
    assert.equal(jobs.body.jobs[0]?.job_id, 'dash');
    assert.deepEqual(jobs.body.jobs[0]?.counts, expected.counts);
    assert.equal(jobs.body.jobs[0]?.state, expected.state);

    const job = await get<{
      status: { counts: unknown; config: Record<string, unknown> };
      failures: Record<string, number>;
      attempts: number;
    }>('/api/jobs/dash');
    assert.deepEqual(job.body.status.counts, expected.counts);
    assert.ok((job.body.failures['http_500'] ?? 0) > 0, JSON.stringify(job.body.failures));
    assert.equal(job.body.attempts, ITEMS);
    assert.equal((await get<{ total: number }>('/api/jobs?state=running')).body.total, 0);
  });

  it('pages every item once under each filter', async () => {
    const every = await allItems('', 7);
    assert.deepEqual(
      every.map((item) => item.seq),
      Array.from({ length: ITEMS }, (_, seq) => seq),
    );
    const failed = await allItems('state=failed', 3);
    assert.ok(failed.length > 0);
    assert.ok(failed.every((item) => item.state === 'failed' && item.error_code === 'http_500'));
    const byError = await allItems('error=http_500', 50);
    assert.deepEqual(byError, failed);
    const { body } = await get<ItemPage>('/api/jobs/dash/items?state=succeeded&limit=1');
    assert.equal(body.total, ITEMS - failed.length);
    const search = await allItems('q=-7', 50);
    assert.ok(search.length > 0 && search.every((item) => item.custom_id.includes('-7')));
  });

  it('shows one item whole: its request, its answer and its attempts', async () => {
    const [first] = (await get<ItemPage>('/api/jobs/dash/items?state=succeeded&limit=1')).body.items;
    assert.ok(first !== undefined);
    const view = await get<{
      item: { custom_id: string; state: string };
      request: string;
      answer: string;
      attempts: { outcome: string; status_code: number }[];
    }>(`/api/jobs/dash/items/${String(first.seq)}`);
    assert.equal(view.status, 200);
    assert.equal(view.body.item.custom_id, first.custom_id);
    assert.equal((JSON.parse(view.body.request) as { custom_id: string }).custom_id, first.custom_id);
    assert.ok(view.body.answer.includes('chat.completion'), view.body.answer);
    assert.deepEqual(
      view.body.attempts.map((attempt) => [attempt.outcome, attempt.status_code]),
      [['ok', 200]],
    );
    // Every item read, so every stored answer and error has gone through the API once.
    for (let seq = 0; seq < ITEMS; seq++) assert.equal((await get(`/api/jobs/dash/items/${String(seq)}`)).status, 200);
  });

  it('downloads the result files, and no path but theirs', async () => {
    const headers = { authorization: `Bearer ${TOKEN}` };
    const output = await fetch(`${dashboard.origin}/api/jobs/dash/files/output`, { headers });
    assert.equal(output.status, 200);
    assert.match(output.headers.get('content-disposition') ?? '', /filename="output.jsonl"/);
    const lines = (await output.text()).trim().split('\n');
    const { body } = await get<{ status: { counts: { succeeded: number } } }>('/api/jobs/dash');
    assert.equal(lines.length, body.status.counts.succeeded);
    bodies.push(lines.join('\n'));
    const report = await fetch(`${dashboard.origin}/api/jobs/dash/files/report`, { headers });
    assert.equal(((await report.json()) as { job_id: string }).job_id, 'dash');
    for (const name of ['state.db', '..%2F..%2Fstate.db', 'toString', '__proto__']) {
      assert.equal((await fetch(`${dashboard.origin}/api/jobs/dash/files/${name}`, { headers })).status, 404, name);
    }
    assert.equal((await fetch(`${dashboard.origin}/api/jobs/dash/files/output`)).status, 401);
  });

  it('answers mistakes with a status and a message naming them', async () => {
    const missing = await get<{ error: { code: string; message: string } }>('/api/jobs/nope');
    assert.equal(missing.status, 404);
    assert.match(missing.body.error.message, /nope/);
    assert.equal((await get('/api/jobs/dash/items/100000')).status, 404);
    const state = await get<{ error: { message: string } }>('/api/jobs/dash/items?state=done');
    assert.equal(state.status, 400);
    assert.match(state.body.error.message, /state "done"/);
    assert.equal((await get('/api/jobs/dash/items?limit=0')).status, 400);
    const check = await get<{ error: { message: string } }>('/api/jobs/dash/items?check=bogus');
    assert.equal(check.status, 400);
    assert.match(check.body.error.message, /check "bogus" is not a check status; use one of valid, repaired/);
    const jobState = await get<{ error: { message: string } }>('/api/jobs?state=bogus');
    assert.equal(jobState.status, 400);
    assert.match(jobState.body.error.message, /state "bogus" is not a job state; use one of .*interrupted/);
    const route = await get<{ error: { code: string } }>('/api/nothing-here');
    assert.deepEqual([route.status, route.body.error.code], [404, 'NOT_FOUND']);
    // A stream that could only fail is refused before it opens.
    assert.equal((await get('/api/stream?view=bogus')).status, 400);
    assert.equal((await get('/api/stream?view=job&job=nope')).status, 404);
  });

  it('refuses the API without its token, and serves the page itself to anyone', async () => {
    assert.equal((await get('/api/jobs', null)).status, 401);
    assert.equal((await get('/api/jobs', 'wrong-token-0123456789')).status, 401);
    const byQuery = await fetch(`${dashboard.origin}/api/jobs?token=${TOKEN}`);
    assert.equal(byQuery.status, 200);
    bodies.push(await byQuery.text());
    const page = await fetch(`${dashboard.origin}/jobs/dash`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<div id="app">/);
    assert.ok(dashboard.url.endsWith(`/#token=${TOKEN}`));
  });

  it('pushes a job live as server-sent events', async () => {
    const controller = new AbortController();
    const response = await fetch(`${dashboard.origin}/api/stream?view=job&job=dash&token=${TOKEN}`, {
      signal: controller.signal,
    });
    assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    let text = '';
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      text += Buffer.from(chunk).toString('utf8');
      if (text.includes('\n\n')) break;
    }
    controller.abort();
    bodies.push(text);
    const event = JSON.parse(text.slice(text.indexOf('data: ') + 6, text.indexOf('\n\n'))) as {
      summary: { job_id: string };
    };
    assert.equal(event.summary.job_id, 'dash');
  });

  it('without a token, answers only requests to its loopback name', async () => {
    const open = await startDashboard({ store, workspace: temp.workspace, token: null, env: {} });
    try {
      assert.equal((await fetch(`${open.origin}/api/jobs`)).status, 200);
      const { request } = await import('undici');
      const foreign = await request(`${open.origin}/api/jobs`, { headers: { host: 'attacker.example' } });
      assert.equal(foreign.statusCode, 403);
      await foreign.body.text();
    } finally {
      await open.close();
    }
  });

  it('never puts the key in an answer', () => {
    assert.ok(bodies.length > ITEMS);
    assert.ok(
      bodies.some((body) => body.includes('echo')),
      'answers that echoed the key went through the API (masked)',
    );
    for (const body of bodies) for (const needle of NEEDLES) assert.ok(!body.includes(needle), body.slice(0, 300));
  });
});
