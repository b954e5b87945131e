// 9. Mixed faults: 5,000 short chat requests at concurrency 64 against a simulator answering in 30 ms, with 2% 500,
// 1% 429 (Retry-After 100 ms, the simulator's default), 1% connection reset and 1% malformed bodies, against the same
// job without faults in the same run. Targets: at least 75% of the fault-free throughput, and no item lost: every
// input line in exactly one result file.
import { check, formatInt, runIfMain, scaled } from './lib.mjs';
import { measureFaultThroughput } from './fault-throughput.mjs';
import { faultSummary, throughputCheck } from './fault-summary.mjs';

const TARGET_RATIO = 0.75;

export async function run() {
  const figures = await measureFaultThroughput({
    name: 'mixed-faults',
    count: scaled(5000),
    concurrency: 64,
    baseOptions: { latencyMs: 30, seed: 9 },
    faultOptions: { failureRates: { http500: 0.02, http429: 0.01, resetBeforeResponse: 0.01, malformed: 0.01 } },
  });
  const { faulted } = figures;
  const faults = Object.values(faulted.simulator_faults).reduce((sum, value) => sum + value, 0);
  const summary = faultSummary(
    'mixed-faults',
    figures,
    '5% faults',
    `${formatInt(faults)} faults, ${formatInt(faulted.retries)} retries | ${formatInt(faulted.succeeded)} succeeded, ` +
      `${formatInt(faulted.failed)} failed | in all pairs ${formatInt(figures.lost)} lines lost or in two files`,
  );
  const checks = [
    throughputCheck(figures, TARGET_RATIO),
    check('items lost', figures.lost === 0, formatInt(figures.lost), '0'),
  ];
  return { name: 'mixed-faults', summary, figures, checks };
}

await runIfMain(import.meta.url, run);
