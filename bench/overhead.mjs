// 1. Overhead: 100,000 short chat requests against a zero-latency simulator, concurrency 256, compared with the
// ceiling of a bare undici loop (bench/ceiling-client.mjs) against the same simulator process.
//
// batchpilot req/s = requests / wall time of the batchpilot process (spawn to exit: start-up, input read, store,
// output files included); the engine's own figure (report.throughput_rps) is shown next to it.
// CPU seconds and peak RSS are those of the batchpilot process alone (resourceUsage() at exit).
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

const CONCURRENCY = 256;
const TARGET_RATIO = 0.85;
const MAX_CPU_RATIO = 1.25;

export async function run(context = {}) {
  const count = scaled(100_000);
  const input = await ensureInput(`short-${String(count)}`, count, shortLine);
  const simulator = await startSimulatorProcess({ latencyMs: 0, trackDuplicates: false });
  const workspace = freshWorkspace('overhead');
  try {
    // Warm the simulator's JIT so that neither measured run pays for it.
    await runCeiling({
      baseUrl: simulator.baseUrl,
      input: input.path,
      concurrency: CONCURRENCY,
      limit: Math.min(count, 10_000),
      name: 'warmup',
    });
    await simulator.command('reset');

    // The ceiling is measured just before and just after batchpilot, and averaged: the machine is shared.
    const before = await runCeiling({ baseUrl: simulator.baseUrl, input: input.path, concurrency: CONCURRENCY });
    await simulator.command('reset');
    const result = await runJobMeasured({
      workspace,
      input: input.path,
      baseUrl: simulator.baseUrl,
      jobId: 'overhead',
      concurrency: CONCURRENCY,
    });
    const report = assertCompleted(result, 'overhead');
    const simulatorInfo = await simulator.command('stats');
    const simulatorStats = simulatorInfo.stats;
    await simulator.command('reset');
    const after = await runCeiling({ baseUrl: simulator.baseUrl, input: input.path, concurrency: CONCURRENCY });
    for (const ceilingRun of [before, after]) {
      if (ceilingRun.ok !== count)
        throw new Error(`ceiling: ${String(ceilingRun.ok)} of ${String(count)} answered 200`);
    }
    const ceiling = {
      rps: (before.rps + after.rps) / 2,
      cpuPer1k: (cpuSeconds(before.usage) + cpuSeconds(after.usage)) / 2 / (count / 1000),
      peakRss: Math.max(peakRssMB(before.usage), peakRssMB(after.usage)),
    };

    const wallS = result.wallMs / 1000;
    const rps = report.counts.succeeded / wallS;
    const cpu = cpuSeconds(result.usage);
    const cpuPer1k = cpu / (count / 1000);
    const rss = peakRssMB(result.usage);
    const ratio = rps / ceiling.rps;
    const engineRatio = report.throughput_rps / ceiling.rps;
    const figures = {
      requests: count,
      succeeded: report.counts.succeeded,
      failed: report.counts.failed,
      wall_s: wallS,
      rps,
      engine_wall_s: report.wall_time_s,
      engine_rps: report.throughput_rps,
      cpu_s: cpu,
      cpu_s_per_1k: cpuPer1k,
      peak_rss_mb: rss,
      ceiling_rps: ceiling.rps,
      ceiling_runs_rps: [before.rps, after.rps],
      ceiling_cpu_s_per_1k: ceiling.cpuPer1k,
      ceiling_peak_rss_mb: ceiling.peakRss,
      ratio,
      engine_ratio: engineRatio,
      latency_ms: report.latency_ms,
      simulator_requests: simulatorStats.generationRequests,
      simulator_mean_in_flight: simulatorInfo.meanInFlight,
      simulator_by_status: simulatorStats.byStatus,
    };
    context.ceiling = { rps: ceiling.rps, concurrency: CONCURRENCY, requests: count };
    log(`overhead figures: ${JSON.stringify(figures)}`);
    const summary =
      `overhead: batchpilot ${formatInt(rps)} req/s = ${percent(ratio)} of ceiling ${formatInt(ceiling.rps)} req/s ` +
      `(mean of ${formatInt(before.rps)} before and ${formatInt(after.rps)} after) ` +
      `(engine's own ${formatInt(report.throughput_rps)} req/s = ${percent(engineRatio)}) | ` +
      `${fixed(cpuPer1k, 3)} CPU-s per 1k (ceiling ${fixed(figures.ceiling_cpu_s_per_1k, 3)}) | ` +
      `peak RSS ${fixed(rss, 0)} MB | ${formatInt(count)} requests, ${fixed(wallS, 1)} s`;
    const checks = [
      check('req/s vs ceiling', ratio >= TARGET_RATIO, percent(ratio), `>= ${percent(TARGET_RATIO)}`),
      check(
        'CPU per request vs the loop',
        cpuPer1k <= MAX_CPU_RATIO * ceiling.cpuPer1k,
        `${fixed(cpuPer1k / ceiling.cpuPer1k, 2)}x`,
        `<= ${fixed(MAX_CPU_RATIO, 2)}x`,
      ),
      check('all succeeded', report.counts.succeeded === count, formatInt(report.counts.succeeded), formatInt(count)),
    ];
    return { name: 'overhead', summary, figures, checks };
  } finally {
    await simulator.close();
    removeWorkspace(workspace);
  }
}

await runIfMain(import.meta.url, run);
