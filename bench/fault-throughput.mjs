// Shared by the scattered-429 and mixed-faults benchmarks: one job against a fault-free simulator (the baseline) and
// the same job against the same simulator settings plus faults, in the same run, and the ratio of their throughputs.
// Also checks that every input line is in exactly one result file (output, errors, missing, rejects).
// BENCH_SET='retry.base_delay_ms=200 ...' passes those --set pairs to both runs of every pair (defaults otherwise).
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import {
  assertCompleted,
  cpuSeconds,
  ensureInput,
  freshWorkspace,
  log,
  removeWorkspace,
  runJobMeasured,
  shortLine,
  startSimulatorProcess,
} from './lib.mjs';

/** Runs one job against a simulator started with `simulatorOptions`; returns its figures. */
async function measureRun({ name, input, simulatorOptions, concurrency }) {
  const simulator = await startSimulatorProcess({ trackDuplicates: false, ...simulatorOptions });
  const workspace = freshWorkspace(name);
  try {
    const result = await runJobMeasured({
      workspace,
      input: input.path,
      baseUrl: simulator.baseUrl,
      jobId: name,
      concurrency,
      set: (process.env['BENCH_SET'] ?? '').split(' ').filter((pair) => pair !== ''),
    });
    const report = assertCompleted(result, name);
    const answer = await simulator.command('stats');
    const stats = answer.stats;
    const accounting = accountLines(input.path, report);
    const wallS = result.wallMs / 1000;
    return {
      wall_s: wallS,
      rps: input.lines / wallS,
      engine_wall_s: report.wall_time_s,
      engine_rps: report.throughput_rps,
      cpu_s: cpuSeconds(result.usage),
      succeeded: report.counts.succeeded,
      failed: report.counts.failed,
      missing: report.counts.missing,
      retries: report.retries,
      retries_by_cause: report.retries_by_cause,
      simulator_faults: Object.fromEntries(Object.entries(stats.faults).filter(([, count]) => count > 0)),
      simulator_max_in_flight: stats.maxInFlight,
      simulator_mean_in_flight: answer.meanInFlight,
      during_retry_after: stats.duringRetryAfter,
      ...accounting,
    };
  } finally {
    await simulator.close();
    removeWorkspace(workspace);
  }
}

/**
 * Every input line in exactly one result file: output/errors/missing by custom_id, rejects by line number.
 * Returns { lost, duplicated }: lines in no file, and lines in more than one.
 */
function accountLines(inputPath, report) {
  const ids = readFileSync(inputPath, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line).custom_id);
  const seen = new Map(ids.map((id) => [id, 0]));
  const jobDir = dirname(report.files.output);
  for (const file of ['output.jsonl', 'errors.jsonl', 'missing_records.jsonl']) {
    for (const line of readLines(join(jobDir, file))) {
      const id = JSON.parse(line).custom_id;
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
  }
  for (const line of readLines(join(jobDir, 'rejects.jsonl'))) {
    const id = ids[JSON.parse(line).line - 1];
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  let lost = 0;
  let duplicated = 0;
  for (const count of seen.values()) {
    if (count === 0) lost += 1;
    if (count > 1) duplicated += 1;
  }
  return { lost, duplicated };
}

function readLines(path) {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line.length > 0);
  } catch {
    return [];
  }
}

/**
 * Pairs of a baseline and a faulted run, one right after the other (baseline first in odd pairs, faulted first in even
 * ones, so a trend in the machine's load favours neither), with the load noted; the figure is the pair with the median
 * ratio. On a shared machine one job's wall time moves by 15% or more between minutes, so a single pair says little
 * (the scheduler benchmark does the same). BENCH_PAIRS=N changes the number of pairs.
 */
export async function measureFaultThroughput({
  name,
  count,
  concurrency,
  baseOptions,
  faultOptions,
  pairs = Number(process.env['BENCH_PAIRS'] ?? 5),
}) {
  const input = await ensureInput(`short-${String(count)}`, count, shortLine);
  const measured = [];
  for (let pair = 1; pair <= pairs; pair += 1) {
    const runBaseline = () =>
      measureRun({ name: `${name}-baseline`, input, simulatorOptions: baseOptions, concurrency });
    const runFaulted = () =>
      measureRun({ name: `${name}-faults`, input, simulatorOptions: { ...baseOptions, ...faultOptions }, concurrency });
    const loadBefore = loadavg()[0];
    log(`${name} pair ${String(pair)}/${String(pairs)}, load ${loadBefore.toFixed(2)}`);
    const first = pair % 2 === 1 ? await runBaseline() : await runFaulted();
    const loadBetween = loadavg()[0];
    const second = pair % 2 === 1 ? await runFaulted() : await runBaseline();
    const [baseline, faulted] = pair % 2 === 1 ? [first, second] : [second, first];
    measured.push({
      baseline,
      faulted,
      ratio: faulted.rps / baseline.rps,
      engine_ratio: faulted.engine_rps / baseline.engine_rps,
      load_1m: [loadBefore, loadBetween, loadavg()[0]],
    });
  }
  const sorted = [...measured].sort((left, right) => left.ratio - right.ratio);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  const figures = {
    requests: count,
    concurrency,
    ...median,
    pair_ratios: measured.map((pair) => pair.ratio),
    // Items lost or failed in any pair, not only the median one.
    lost: measured.reduce((sum, pair) => sum + pair.faulted.lost + pair.faulted.duplicated, 0),
    failed: measured.reduce((sum, pair) => sum + pair.faulted.failed, 0),
  };
  log(`${name} figures: ${JSON.stringify(figures)}`);
  return figures;
}
