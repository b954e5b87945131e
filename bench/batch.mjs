// 6. Batch mode (issue 4): 200,000 requests of 500 bytes (100 MB) through the simulator's files + batches
// endpoints (a separate process) with a short batch lifetime, in 4 chunks of 50,000 (OpenAI's per-file limit).
// "Our own work" is the batchpilot process's CPU time (chunking, upload, download, merge, files): the rest of the
// wall time is waiting for the remote batches. Peak RSS is compared with a 50,000-line run of the same shape.
import {
  assertCompleted,
  check,
  cpuSeconds,
  ensureInput,
  fixed,
  formatInt,
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

const LINE_BYTES = 500;
const LIFETIME_MS = 2000;
const MAX_OWN_S_PER_100K = 5;
const MAX_RSS_MB = 300;
const MAX_GROWTH = 0.25;

async function measure(simulator, count, jobId) {
  const input = await ensureInput(`padded${String(LINE_BYTES)}-${String(count)}`, count, (index) =>
    paddedLine(index, LINE_BYTES),
  );
  const workspace = freshWorkspace(jobId);
  try {
    await simulator.command('reset');
    const result = await runJobMeasured({
      workspace,
      input: input.path,
      baseUrl: simulator.baseUrl,
      jobId,
      set: ['mode=batch', 'poll_interval_s=0.25'],
      sampleRssMs: 500,
    });
    const report = assertCompleted(result, jobId);
    const stats = (await simulator.command('stats')).stats.batch;
    const cpu = cpuSeconds(result.usage);
    return {
      lines: input.lines,
      input_bytes: input.bytes,
      succeeded: report.counts.succeeded,
      chunks: report.batch.chunks.length,
      wall_s: result.wallMs / 1000,
      cpu_s: cpu,
      own_s_per_100k: (cpu / input.lines) * 100_000,
      peak_rss_mb: peakRssMB(result.usage),
      uploads: stats.uploads,
      batches_created: stats.batchesCreated,
      duplicate_uploads: stats.duplicateUploads,
      duplicate_batches: stats.duplicateBatches,
    };
  } finally {
    removeWorkspace(workspace);
  }
}

export async function run() {
  const simulator = await startSimulatorProcess({ batchLifetimeMs: LIFETIME_MS, trackDuplicates: false });
  try {
    const small = await measure(simulator, scaled(50_000), 'batch-small');
    const big = await measure(simulator, scaled(200_000), 'batch-big');
    const growth = big.peak_rss_mb / small.peak_rss_mb - 1;
    const figures = { lifetime_ms: LIFETIME_MS, small, big, growth };
    log(`batch figures: ${JSON.stringify(figures)}`);
    const summary =
      `batch: ${formatInt(big.lines)} lines (${fixed(big.input_bytes / 1e6, 0)} MB) in ${String(big.chunks)} chunks: ` +
      `wall ${fixed(big.wall_s, 1)} s (batch lifetime ${String(LIFETIME_MS)} ms), own work ${fixed(big.cpu_s, 1)} CPU-s ` +
      `= ${fixed(big.own_s_per_100k, 1)} s per 100,000 lines | peak RSS ${fixed(big.peak_rss_mb, 0)} MB vs ` +
      `${fixed(small.peak_rss_mb, 0)} MB for ${formatInt(small.lines)} lines (${percent(growth)}) | ` +
      `${String(big.uploads)} uploads, ${String(big.duplicate_uploads)} duplicate uploads, ` +
      `${String(big.duplicate_batches)} duplicate batches`;
    const checks = [
      check(
        'own work per 100k lines',
        big.own_s_per_100k <= MAX_OWN_S_PER_100K,
        `${fixed(big.own_s_per_100k, 1)} s`,
        `<= ${String(MAX_OWN_S_PER_100K)} s`,
      ),
      check('peak RSS (200k lines)', big.peak_rss_mb < MAX_RSS_MB, `${fixed(big.peak_rss_mb, 0)} MB`, `< 300 MB`),
      check('RSS growth 50k -> 200k', growth <= MAX_GROWTH, percent(growth), `<= ${percent(MAX_GROWTH)}`),
      check('all succeeded', big.succeeded === big.lines, formatInt(big.succeeded), formatInt(big.lines)),
    ];
    return { name: 'batch', summary, figures, checks };
  } finally {
    await simulator.close();
  }
}

await runIfMain(import.meta.url, run);
