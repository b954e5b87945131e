// 2. Latency-bound: 20,000 short chat requests against a simulator answering in 200 ms +- 100 ms, concurrency 512.
// The bound is min(ceiling, concurrency / mean latency) = min(ceiling, 2,560 req/s), where the ceiling is the bare
// undici loop's req/s at zero latency (taken from the overhead benchmark when run-all ran it, else measured here).
// For reference, the same bare loop is also run against this latency at the same concurrency.
import {
  assertCompleted,
  check,
  cpuSeconds,
  ensureInput,
  fixed,
  formatInt,
  freshWorkspace,
  log,
  peakRssMB,
  percent,
  removeWorkspace,
  runCeiling,
  runIfMain,
  runJobMeasured,
  scaled,
  shortLine,
  startSimulatorProcess,
} from './lib.mjs';

const CONCURRENCY = 512;
const LATENCY_MS = 200;
const JITTER_MS = 100;
const TARGET_RATIO = 0.95;

async function zeroLatencyCeiling(context) {
  if (context.ceiling !== undefined) return context.ceiling.rps;
  const count = scaled(100_000);
  const input = await ensureInput(`short-${String(count)}`, count, shortLine);
  const simulator = await startSimulatorProcess({ latencyMs: 0, trackDuplicates: false });
  try {
    await runCeiling({
      baseUrl: simulator.baseUrl,
      input: input.path,
      concurrency: 256,
      limit: 10_000,
      name: 'warmup',
    });
    const ceiling = await runCeiling({ baseUrl: simulator.baseUrl, input: input.path, concurrency: 256 });
    return ceiling.rps;
  } finally {
    await simulator.close();
  }
}

export async function run(context = {}) {
  const count = scaled(20_000);
  const ceilingRps = await zeroLatencyCeiling(context);
  const input = await ensureInput(`short-${String(count)}`, count, shortLine);
  const simulator = await startSimulatorProcess({ latencyMs: LATENCY_MS, jitterMs: JITTER_MS, trackDuplicates: false });
  const workspace = freshWorkspace('latency-bound');
  try {
    const result = await runJobMeasured({
      workspace,
      input: input.path,
      baseUrl: simulator.baseUrl,
      jobId: 'latency-bound',
      concurrency: CONCURRENCY,
    });
    const report = assertCompleted(result, 'latency-bound');
    const simulatorInfo = await simulator.command('stats');
    const simulatorStats = simulatorInfo.stats;
    await simulator.command('reset');
    const bareLoop = await runCeiling({
      baseUrl: simulator.baseUrl,
      input: input.path,
      concurrency: CONCURRENCY,
      name: 'bare-latency',
    });

    const latencyBound = CONCURRENCY / (LATENCY_MS / 1000);
    const bound = Math.min(ceilingRps, latencyBound);
    const wallS = result.wallMs / 1000;
    const rps = report.counts.succeeded / wallS;
    const ratio = rps / bound;
    const engineRatio = report.throughput_rps / bound;
    const figures = {
      requests: count,
      succeeded: report.counts.succeeded,
      wall_s: wallS,
      rps,
      engine_wall_s: report.wall_time_s,
      engine_rps: report.throughput_rps,
      ceiling_rps: ceilingRps,
      latency_bound_rps: latencyBound,
      bound_rps: bound,
      ratio,
      engine_ratio: engineRatio,
      bare_loop_same_latency_rps: bareLoop.rps,
      cpu_s: cpuSeconds(result.usage),
      peak_rss_mb: peakRssMB(result.usage),
      latency_ms: report.latency_ms,
      simulator_max_in_flight: simulatorStats.maxInFlight,
      simulator_mean_in_flight: simulatorInfo.meanInFlight,
      simulator_by_status: simulatorStats.byStatus,
    };
    log(`latency-bound figures: ${JSON.stringify(figures)}`);
    const summary =
      `latency-bound: batchpilot ${formatInt(rps)} req/s = ${percent(ratio)} of min(ceiling ${formatInt(ceilingRps)}, ` +
      `${String(CONCURRENCY)} / ${String(LATENCY_MS)} ms = ${formatInt(latencyBound)}) = ${formatInt(bound)} req/s ` +
      `(engine's own ${formatInt(report.throughput_rps)} req/s = ${percent(engineRatio)}) | bare loop at this latency ` +
      `${formatInt(bareLoop.rps)} req/s | in flight at the simulator: mean ${fixed(simulatorInfo.meanInFlight, 0)}, ` +
      `max ${String(simulatorStats.maxInFlight)} | p50/p95 latency seen by batchpilot ${String(report.latency_ms.p50)}/` +
      `${String(report.latency_ms.p95)} ms | ` +
      `${formatInt(count)} requests, ${fixed(wallS, 1)} s`;
    const checks = [
      check('req/s vs bound', ratio >= TARGET_RATIO, percent(ratio), `>= ${percent(TARGET_RATIO)}`),
      check('all succeeded', report.counts.succeeded === count, formatInt(report.counts.succeeded), formatInt(count)),
    ];
    return { name: 'latency-bound', summary, figures, checks };
  } finally {
    await simulator.close();
    removeWorkspace(workspace);
  }
}

await runIfMain(import.meta.url, run);
