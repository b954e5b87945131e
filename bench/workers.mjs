// Workers (issue 14 §4): (a) one realtime job over a PostgreSQL store sent by 1, 2 and 3 processes (the submitting
// one and `worker`s) against a simulator answering in 200 ms, concurrency 256 each: latency-bound, so throughput
// should grow with the workers (target: 3 workers >= 2.6x one); (b) the PostgreSQL store's cost against SQLite for
// one process at latency 0, the same job, in the same run.
import {
  BIN,
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
  startSimulatorProcess,
} from './lib.mjs';
import { spawn } from 'node:child_process';
import { startPostgres } from './start-postgres.mjs';

const CONCURRENCY = 256;
const LATENCY_MS = 200;
const TARGET_SCALING = 2.6;

function startWorker(workspace, url, jobId) {
  const child = spawn(
    process.execPath,
    [BIN, '--workspace', workspace, '--store', url, 'worker', '--jobs', jobId, '--concurrency', String(CONCURRENCY)],
    { stdio: ['ignore', 'ignore', 'ignore'], env: { ...process.env, OPENAI_API_KEY: 'sk-bench' } },
  );
  return {
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

async function sharedRun({ postgres, workspace, input, baseUrl, processes, name }) {
  const url = await postgres.createDatabase(name);
  const workers = Array.from({ length: processes - 1 }, () => startWorker(workspace, url, name));
  try {
    const result = await runJobMeasured({
      workspace,
      input: input.path,
      baseUrl,
      jobId: name,
      concurrency: CONCURRENCY,
      set: [],
      name,
      extraGlobal: ['--store', url],
    });
    if (result.json?.outcome !== 'completed') throw new Error(`${name}: ${result.stderr.slice(-2000)}`);
    const statements = await postgres.statements(name);
    const steadyRps = await postgres.steadyRate(name, name);
    return { wallS: result.wallMs / 1000, report: result.json.report, statements, steadyRps };
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
  }
}

export async function run() {
  const count = scaled(20_000);
  const input = await ensureInput(`short-${String(count)}`, count, shortLine);
  const postgres = await startPostgres();
  const workspace = freshWorkspace('workers');
  const slow = await startSimulatorProcess({ latencyMs: LATENCY_MS, trackDuplicates: false });
  const figures = { requests: count, latency_ms: LATENCY_MS, concurrency_per_process: CONCURRENCY };
  try {
    for (const processes of [1, 2, 3]) {
      const { wallS, statements, steadyRps } = await sharedRun({
        postgres,
        workspace,
        input,
        baseUrl: slow.baseUrl,
        processes,
        name: `workers${String(processes)}`,
      });
      figures[`rps_${String(processes)}`] = count / wallS;
      figures[`steady_rps_${String(processes)}`] = steadyRps;
      figures[`statements_per_request_${String(processes)}`] = statements.calls / count;
      figures[`commits_per_request_${String(processes)}`] = statements.commits / count;
      log(`workers: ${String(processes)} process(es): ${fixed(wallS, 1)} s, ${formatInt(count / wallS)} req/s`);
    }
    await slow.close();
    const fast = await startSimulatorProcess({ latencyMs: 0, trackDuplicates: false });
    try {
      const sqlite = await runJobMeasured({
        workspace,
        input: input.path,
        baseUrl: fast.baseUrl,
        jobId: 'sqlite0',
        concurrency: CONCURRENCY,
      });
      const onPostgres = await sharedRun({
        postgres,
        workspace,
        input,
        baseUrl: fast.baseUrl,
        processes: 1,
        name: 'postgres0',
      });
      figures.sqlite_rps = count / (sqlite.wallMs / 1000);
      figures.postgres_rps = count / onPostgres.wallS;
      figures.sqlite_cpu_s = cpuSeconds(sqlite.usage);
      figures.postgres_statements_per_request = onPostgres.statements.calls / count;
    } finally {
      await fast.close();
    }
  } finally {
    await postgres.stop();
    removeWorkspace(workspace);
  }
  const scaling2 = figures.rps_2 / figures.rps_1;
  const scaling3 = figures.rps_3 / figures.rps_1;
  const pgShare = figures.postgres_rps / figures.sqlite_rps;
  const steady3 = figures.steady_rps_3 / figures.steady_rps_1;
  const summary =
    `workers: 1/2/3 processes at ${String(LATENCY_MS)} ms: ${formatInt(figures.rps_1)} / ${formatInt(figures.rps_2)} / ` +
    `${formatInt(figures.rps_3)} req/s = 1 / ${fixed(scaling2)}x / ${fixed(scaling3)}x (once going: ` +
    `${formatInt(figures.steady_rps_1)} / ${formatInt(figures.steady_rps_3)} req/s = ${fixed(steady3)}x) | latency 0, one process: ` +
    `SQLite ${formatInt(figures.sqlite_rps)} req/s, PostgreSQL ${formatInt(figures.postgres_rps)} req/s ` +
    `(${fixed(pgShare * 100, 0)}%) | statements per request ${fixed(figures.statements_per_request_1)} / ` +
    `${fixed(figures.statements_per_request_2)} / ${fixed(figures.statements_per_request_3)} | ${formatInt(count)} requests`;
  log(`workers figures: ${JSON.stringify(figures)}`);
  return {
    name: 'workers',
    summary,
    figures,
    checks: [
      check('3 workers vs 1', scaling3 >= TARGET_SCALING, `${fixed(scaling3)}x`, `>= ${String(TARGET_SCALING)}x`),
    ],
  };
}

await runIfMain(import.meta.url, run);
