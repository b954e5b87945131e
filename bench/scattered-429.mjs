// 8. Scattered 429s: 4,000 short chat requests at concurrency 32 against a simulator answering in 40 ms +- 30 ms,
// 3% of them 429 with Retry-After 1 s, against the same job without the 429s in the same run. A 429 that is not part
// of a burst must cost only its own request its wait; the target is at least 85% of the fault-free throughput.
import { check, formatInt, runIfMain, scaled } from './lib.mjs';
import { measureFaultThroughput } from './fault-throughput.mjs';
import { faultSummary, throughputCheck } from './fault-summary.mjs';

const TARGET_RATIO = 0.85;

export async function run() {
  const figures = await measureFaultThroughput({
    name: 'scattered-429',
    count: scaled(4000),
    concurrency: 32,
    baseOptions: { latencyMs: 40, jitterMs: 30, seed: 8 },
    faultOptions: { failureRates: { http429: 0.03 }, retryAfterMs: 1000 },
  });
  const { faulted } = figures;
  const summary = faultSummary(
    'scattered-429',
    figures,
    '3% 429s',
    `${formatInt(faulted.simulator_faults.http429 ?? 0)} 429s, ${formatInt(faulted.during_retry_after)} requests ` +
      `sent while a retry-after ran | ${formatInt(figures.failed)} failed, ${formatInt(figures.lost)} lost in all pairs`,
  );
  const checks = [
    throughputCheck(figures, TARGET_RATIO),
    check('items lost or failed', figures.lost + figures.failed === 0, formatInt(figures.lost + figures.failed), '0'),
  ];
  return { name: 'scattered-429', summary, figures, checks };
}

await runIfMain(import.meta.url, run);
