// What the scattered-429 and mixed-faults benchmarks report of a measureFaultThroughput result: the summary line
// and the throughput check; each benchmark adds its own fault counts and its own check of lost items.
import { check, fixed, formatInt, percent } from './lib.mjs';

/**
 * The summary of a fault benchmark: `<name>: <rps> req/s with <faults> vs <rps> without (<ratios>) | <counts> |
 * pairs <ratio of each pair> | load <1-minute load before, between and after>`.
 */
export function faultSummary(name, figures, faults, counts) {
  const { baseline, faulted } = figures;
  return (
    `${name}: ${formatInt(faulted.rps)} req/s with ${faults} vs ${formatInt(baseline.rps)} without ` +
    `(**${percent(figures.ratio)}** from spawn to exit; engine's own ${percent(figures.engine_ratio)}) | ` +
    `${counts} | ` +
    `pairs ${figures.pair_ratios.map((ratio) => percent(ratio)).join(', ')} | ` +
    `load ${figures.load_1m.map((load) => fixed(load, 1)).join('/')}`
  );
}

/** The throughput check of a fault benchmark: the run with faults keeps at least `target` of the fault-free rate. */
export function throughputCheck(figures, target) {
  const { baseline, faulted } = figures;
  return check(
    'throughput vs fault-free',
    figures.ratio >= target,
    `${percent(figures.ratio)} (${fixed(faulted.wall_s, 1)} s vs ${fixed(baseline.wall_s, 1)} s)`,
    `>= ${percent(target)}`,
  );
}
