// 14. The dashboard (issue 16): a real job of 1,000,000 short requests (2% of them failed: the simulator answers 500
// and each item gets one attempt), then `batchpilot ui` on its workspace. Each API answer is timed by the server itself
// (its `Server-Timing` header), median of 20 after one cold call: the jobs page, the job page (status, cost, failures,
// checks and the history), an items page of 50 under a few filters, and one item. Then the push: the same 100,000-line
// job run twice with no dashboard and twice with one streaming its job page at once a second, alternated; the job's
// own CPU-s compared. Then a data job of the same size, the issue's kind of job: 333,334 rows x 3 prompts (1,000,002
// items) in groups by language, its answers checked; its job page (with a bar per prompt and per group) and its items
// filtered by prompt and check, timed the same way.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import {
  BIN,
  assertCompleted,
  check,
  cpuSeconds,
  ensureInput,
  fixed,
  formatInt,
  freshWorkspace,
  log,
  removeWorkspace,
  runIfMain,
  runJobMeasured,
  scaled,
  shortLine,
  sleep,
  startSimulatorProcess,
  runBatchpilot,
  ensureOutDir,
} from './lib.mjs';
import { dataRow, writePrompts } from './data-pipeline.mjs';

const CONCURRENCY = 256;
const CALLS = 20;
const TARGET_PAGE_MS = 200;
const TARGET_ITEMS_MS = 300;
const TARGET_PUSH = 0.02;
/** Runs without and with a dashboard, alternated: the job's CPU varies by a few percent from run to run. */
const PUSH_PAIRS = 4;

/** `batchpilot ui` on `workspace`, resolved once it prints its URL. */
async function startUi(workspace) {
  const child = spawn(process.execPath, [BIN, '--workspace', workspace, 'ui', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  for await (const chunk of child.stdout) {
    out += chunk;
    const match = /http:\/\/\S+/.exec(out);
    if (match !== null) {
      return {
        origin: match[0].replace(/\/$/, ''),
        async close() {
          child.kill('SIGTERM');
          await once(child, 'exit');
        },
      };
    }
  }
  throw new Error(`batchpilot ui printed no URL: ${out}`);
}

/** The server's own time for `path` (its Server-Timing), and the answer. */
async function timedGet(origin, path) {
  const response = await request(`${origin}${path}`);
  const body = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`${path}: ${String(response.statusCode)} ${body.slice(0, 300)}`);
  const timing = /dur=([\d.]+)/.exec(String(response.headers['server-timing']));
  return { ms: Number(timing?.[1]), body };
}

async function timeCalls(origin, path) {
  const cold = (await timedGet(origin, path)).ms;
  const times = [];
  for (let index = 0; index < CALLS; index++) times.push((await timedGet(origin, path)).ms);
  times.sort((a, b) => a - b);
  return { cold_ms: cold, median_ms: times[Math.floor(times.length / 2)], max_ms: times.at(-1) };
}

/** A client of the job page's live stream, reading (and dropping) every event until closed. */
function followStream(origin, jobId) {
  const controller = new AbortController();
  let events = 0;
  const done = (async () => {
    try {
      const response = await request(`${origin}/api/stream?view=job&job=${jobId}`, { signal: controller.signal });
      for await (const chunk of response.body) events += String(chunk).split('\n\n').length - 1;
    } catch {
      // Aborted.
    }
  })();
  return {
    async close() {
      controller.abort();
      await done;
      return events;
    },
  };
}

export async function pushCost(simulator, input, pairs = PUSH_PAIRS) {
  const runs = [];
  for (const withDashboard of Array.from({ length: pairs * 2 }, (_, index) => index % 2 === 1)) {
    const workspace = freshWorkspace(`dashboard-push-${String(runs.length)}`);
    let ui;
    let stream;
    try {
      if (withDashboard) ui = await startUi(workspace);
      const jobId = `push-${String(runs.length)}`;
      const result = await runJobMeasured({
        workspace,
        input: input.path,
        baseUrl: simulator.baseUrl,
        jobId,
        concurrency: CONCURRENCY,
        // The job exists once its process took it: the stream opens then and follows it to the end.
        onSpawn: () => {
          if (ui !== undefined) {
            void sleep(300).then(() => {
              stream = followStream(ui.origin, jobId);
            });
          }
        },
      });
      assertCompleted(result, jobId);
      const events = stream === undefined ? 0 : await stream.close();
      runs.push({ dashboard: withDashboard, cpu_s: cpuSeconds(result.usage), wall_s: result.wallMs / 1000, events });
    } finally {
      await ui?.close();
      removeWorkspace(workspace);
    }
  }
  return runs;
}

/**
 * A data job of `rows` x 3 prompts in groups (no targets: every row is sent) made in `workspace`, then its pages timed:
 * the job page, and items pages filtered by prompt and check status.
 */
export async function dataJobPages(simulator, workspace, rows) {
  const data = await ensureInput(`data-rows-${String(rows)}`, rows, dataRow);
  const prompts = writePrompts();
  const config = join(ensureOutDir('inputs', 'data-pipeline'), 'groups-by-lang.yaml');
  writeFileSync(config, 'data: { key: id, group_by: lang }\ngroups: {}\n');
  const args = ['run', data.path, '--prompts', prompts, '--config', config, '--base-url', simulator.baseUrl];
  args.push('--no-progress', '--json', '--job', 'data', '--concurrency', String(CONCURRENCY));
  log(`batchpilot ${args.join(' ')}`);
  const made = await runBatchpilot(workspace, args, { name: 'dashboard-data' });
  // 3: it ended below a prompt's coverage (the simulator answers some requests 500), which is still an ended job.
  if (made.code !== 0 && made.code !== 3) {
    throw new Error(`the data job exited ${String(made.code)}: ${made.stderr.slice(-2000)}`);
  }
  const ui = await startUi(workspace);
  try {
    const job = JSON.parse((await timedGet(ui.origin, '/api/jobs/data')).body);
    const prompt = job.status.prompts?.[0]?.prompt;
    if (prompt === undefined) throw new Error(`the data job's status has no prompts: ${JSON.stringify(job.status)}`);
    return {
      items: job.status.counts.total,
      job: await timeCalls(ui.origin, '/api/jobs/data'),
      items_prompt: await timeCalls(ui.origin, `/api/jobs/data/items?prompt=${prompt}&limit=50`),
      items_prompt_invalid: await timeCalls(ui.origin, `/api/jobs/data/items?prompt=${prompt}&check=invalid&limit=50`),
    };
  } finally {
    await ui.close();
  }
}

export async function run() {
  const count = scaled(1_000_000);
  const input = await ensureInput(`short-${String(count)}`, count, shortLine);
  const simulator = await startSimulatorProcess({
    latencyMs: 0,
    trackDuplicates: false,
    failureRates: { http500: 0.02 },
  });
  const workspace = freshWorkspace('dashboard');
  try {
    const made = await runJobMeasured({
      workspace,
      input: input.path,
      baseUrl: simulator.baseUrl,
      jobId: 'big',
      concurrency: CONCURRENCY,
      set: ['retry.max_attempts=1'],
    });
    const report = made.json?.report;
    if (report === undefined) throw new Error(`the 1M job did not end with a report: ${made.stderr.slice(-2000)}`);
    log(`1M job: ${formatInt(report.counts.succeeded)} succeeded, ${formatInt(report.counts.failed)} failed`);
    const ui = await startUi(workspace);
    let pages;
    try {
      pages = {
        jobs: await timeCalls(ui.origin, '/api/jobs'),
        job: await timeCalls(ui.origin, '/api/jobs/big'),
        items_failed: await timeCalls(ui.origin, '/api/jobs/big/items?state=failed&limit=50'),
        items_failed_page_2: await timeCalls(
          ui.origin,
          `/api/jobs/big/items?state=failed&limit=50&after=${String(
            JSON.parse((await timedGet(ui.origin, '/api/jobs/big/items?state=failed&limit=50')).body).next_after,
          )}`,
        ),
        items_error: await timeCalls(ui.origin, '/api/jobs/big/items?error=http_500&limit=50'),
        items_search: await timeCalls(ui.origin, '/api/jobs/big/items?q=request-99999&limit=50'),
        items_late: await timeCalls(ui.origin, `/api/jobs/big/items?limit=50&after=${String(count - 1000)}`),
        item: await timeCalls(ui.origin, `/api/jobs/big/items/${String(Math.floor(count / 2))}`),
      };
    } finally {
      await ui.close();
    }
    const pushInput = await ensureInput(`short-${String(scaled(100_000))}`, scaled(100_000), shortLine);
    const push = await pushCost(simulator, pushInput);
    const dataWorkspace = freshWorkspace('dashboard-data');
    let dataPages;
    try {
      dataPages = await dataJobPages(simulator, dataWorkspace, Math.ceil(count / 3));
    } finally {
      removeWorkspace(dataWorkspace);
    }
    const without = push.filter((run) => !run.dashboard).map((run) => run.cpu_s);
    const withIt = push.filter((run) => run.dashboard).map((run) => run.cpu_s);
    const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;
    const added = mean(withIt) / mean(without) - 1;
    const pageMs = (name) => pages[name].median_ms;
    const itemPages = Object.keys(pages).filter((name) => name.startsWith('items_'));
    const worstItems = Math.max(...itemPages.map(pageMs));
    return {
      name: 'dashboard',
      figures: { items: count, failed: report.counts.failed, pages, push, push_cpu_added: added, data_job: dataPages },
      summary:
        `1M items: jobs ${fixed(pageMs('jobs'), 1)} ms, job ${fixed(pageMs('job'), 1)} ms (cold ${fixed(pages.job.cold_ms, 0)}), ` +
        `items pages ${itemPages.map((name) => `${name.slice(6)} ${fixed(pageMs(name), 1)}`).join(', ')} ms, ` +
        `item ${fixed(pageMs('item'), 1)} ms; push +${fixed(added * 100, 1)}% CPU; ` +
        `data job of ${formatInt(dataPages.items)} items: job ${fixed(dataPages.job.median_ms, 1)} ms, ` +
        `items by prompt ${fixed(dataPages.items_prompt.median_ms, 1)} ms, by prompt and check ` +
        `${fixed(dataPages.items_prompt_invalid.median_ms, 1)} ms`,
      checks: [
        check(
          'jobs page',
          pageMs('jobs') < TARGET_PAGE_MS,
          `${fixed(pageMs('jobs'), 1)} ms`,
          `< ${String(TARGET_PAGE_MS)} ms`,
        ),
        check(
          'job page',
          pageMs('job') < TARGET_PAGE_MS,
          `${fixed(pageMs('job'), 1)} ms`,
          `< ${String(TARGET_PAGE_MS)} ms`,
        ),
        check(
          'data job page',
          dataPages.job.median_ms < TARGET_PAGE_MS,
          `${fixed(dataPages.job.median_ms, 1)} ms`,
          `< ${String(TARGET_PAGE_MS)} ms`,
        ),
        check(
          'data items page',
          Math.max(dataPages.items_prompt.median_ms, dataPages.items_prompt_invalid.median_ms) < TARGET_ITEMS_MS,
          `${fixed(Math.max(dataPages.items_prompt.median_ms, dataPages.items_prompt_invalid.median_ms), 1)} ms`,
          `< ${String(TARGET_ITEMS_MS)} ms`,
        ),
        check(
          'items page',
          worstItems < TARGET_ITEMS_MS,
          `${fixed(worstItems, 1)} ms`,
          `< ${String(TARGET_ITEMS_MS)} ms`,
        ),
        check('push', added < TARGET_PUSH, `+${fixed(added * 100, 1)}% CPU`, `< +${String(TARGET_PUSH * 100)}%`),
      ],
    };
  } finally {
    removeWorkspace(workspace);
    await simulator.close();
  }
}

await runIfMain(import.meta.url, run);
