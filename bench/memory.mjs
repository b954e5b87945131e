// 3. Memory: peak RSS of the batchpilot process over a 1,000,000-line input of 500-byte lines (500 MB) against a
// zero-latency simulator at concurrency 256, compared with a 100,000-line input of the same shape (the first
// 100,000 lines of the same generator). Inputs are written once to bench/.out/inputs/ and reused.
import {
  assertCompleted,
  check,
  cpuSeconds,
  ensureInput,
  fixed,
  formatInt,
  formatMB,
  freshWorkspace,
  log,
  paddedLine,
  peakRssMB,
  percent,
  removeWorkspace,
  runIfMain,
  runJobMeasured,
  scaled,
  startSimulatorProcess,
} from './lib.mjs';

const CONCURRENCY = 256;
const LINE_BYTES = 500;
const MAX_RSS_MB = 150;
const MAX_GROWTH = 0.1;

/** The 1M-line input, shared with resume-cost.mjs. */
export function bigInput() {
  const count = scaled(1_000_000);
  return ensureInput(`padded${String(LINE_BYTES)}-${String(count)}`, count, (index) => paddedLine(index, LINE_BYTES));
}

async function measure(simulator, input, jobId) {
  const workspace = freshWorkspace(jobId);
  try {
    const result = await runJobMeasured({
      workspace,
      input: input.path,
      baseUrl: simulator.baseUrl,
      jobId,
      concurrency: CONCURRENCY,
      sampleRssMs: 1000,
    });
    const report = assertCompleted(result, jobId);
    return {
      lines: input.lines,
      input_bytes: input.bytes,
      succeeded: report.counts.succeeded,
      peak_rss_mb: peakRssMB(result.usage),
      cpu_s: cpuSeconds(result.usage),
      wall_s: result.wallMs / 1000,
      rps: report.counts.succeeded / (result.wallMs / 1000),
      engine_rps: report.throughput_rps,
      engine_wall_s: report.wall_time_s,
      rss_timeline: timeline(result.rssSamples),
    };
  } finally {
    removeWorkspace(workspace);
  }
}

/** RSS at a few points of the run (fractions of the wall time), and when the sampled peak happened. */
function timeline(samples) {
  if (samples.length === 0) return null;
  const end = samples.at(-1).s;
  const at = (fraction) => samples.find((sample) => sample.s >= fraction * end) ?? samples.at(-1);
  const peak = samples.reduce((best, sample) => (sample.mb > best.mb ? sample : best));
  const points = {};
  for (const fraction of [0.1, 0.25, 0.5, 0.75, 0.9, 1])
    points[`${String(fraction * 100)}%`] = Math.round(at(fraction).mb);
  return { points, peak_mb: Math.round(peak.mb), peak_at_s: Number(peak.s.toFixed(1)), sampled_until_s: end };
}

export async function run() {
  const smallCount = scaled(100_000);
  const small = await ensureInput(`padded${String(LINE_BYTES)}-${String(smallCount)}`, smallCount, (index) =>
    paddedLine(index, LINE_BYTES),
  );
  const big = await bigInput();
  const simulator = await startSimulatorProcess({ latencyMs: 0, trackDuplicates: false });
  try {
    const smallRun = await measure(simulator, small, 'memory-small');
    await simulator.command('reset');
    const bigRun = await measure(simulator, big, 'memory-big');
    const simulatorInfo = await simulator.command('stats');
    const growth = bigRun.peak_rss_mb / smallRun.peak_rss_mb - 1;
    const figures = {
      small: smallRun,
      big: bigRun,
      growth,
      simulator_peak_rss_mb: simulatorInfo.maxRssMB,
    };
    log(`memory figures: ${JSON.stringify(figures)}`);
    const points = (run) => Object.entries(run.rss_timeline?.points ?? {}).map(([key, mb]) => `${key} ${String(mb)}`);
    const summary =
      `memory: peak RSS ${fixed(bigRun.peak_rss_mb, 0)} MB for ${formatInt(bigRun.lines)} lines (${formatMB(big.bytes)}) ` +
      `vs ${fixed(smallRun.peak_rss_mb, 0)} MB for ${formatInt(smallRun.lines)} lines = ${growth >= 0 ? '+' : ''}${percent(growth)} | ` +
      `${formatInt(bigRun.rps)} req/s, ${fixed(bigRun.wall_s, 0)} s, ${fixed(bigRun.cpu_s / (bigRun.lines / 1000), 3)} CPU-s per 1k | ` +
      `RSS MB at % of wall time: ${formatInt(bigRun.lines)} lines [${points(bigRun).join(', ')}], ${formatInt(smallRun.lines)} lines [${points(smallRun).join(', ')}]`;
    const checks = [
      check(
        'peak RSS (1M lines)',
        bigRun.peak_rss_mb <= MAX_RSS_MB,
        `${fixed(bigRun.peak_rss_mb, 0)} MB`,
        `<= ${String(MAX_RSS_MB)} MB`,
      ),
      check(
        'growth 100k -> 1M',
        growth <= MAX_GROWTH,
        `${growth >= 0 ? '+' : ''}${percent(growth)}`,
        `<= +${percent(MAX_GROWTH)}`,
      ),
      check('all succeeded', bigRun.succeeded === bigRun.lines, formatInt(bigRun.succeeded), formatInt(bigRun.lines)),
    ];
    return { name: 'memory', summary, figures, checks };
  } finally {
    await simulator.close();
  }
}

await runIfMain(import.meta.url, run);
