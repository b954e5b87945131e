// 5. Rate-limited: 3,000 short chat requests against a simulator enforcing 6,000 requests per minute (token bucket
// with one second of burst; over the limit it answers 429 with Retry-After, and sends no x-ratelimit-* headers).
// batchpilot runs with its defaults: rate_limit.rpm unset (0), concurrency 32, retry.max_attempts 4 (set
// explicitly). The ideal wall time is requests / (rpm / 60) = 30 s; the target is 0 failed and within 10% of it.
// Then the same again with the simulator sending x-ratelimit-*-requests headers (--rate-limit-headers), which
// batchpilot reads to pace itself before the 429s: same targets, and the 429s it still met are reported.
import {
  assertCompleted,
  check,
  cpuSeconds,
  ensureInput,
  fixed,
  formatInt,
  freshWorkspace,
  log,
  percent,
  removeWorkspace,
  runIfMain,
  runJobMeasured,
  scaled,
  shortLine,
  startSimulatorProcess,
} from './lib.mjs';

const RPM = 6000;
const TOLERANCE = 0.1;

export async function run() {
  const count = scaled(3000);
  const input = await ensureInput(`short-${String(count)}`, count, shortLine);
  const headerless = await measure(count, input, false);
  const withHeaders = await measure(count, input, true);
  return {
    ...headerless,
    summary: `${headerless.summary}\n${withHeaders.summary}`,
    figures: { ...headerless.figures, with_headers: withHeaders.figures },
    checks: [
      ...headerless.checks,
      ...withHeaders.checks.map((item) => ({ ...item, name: `with headers: ${item.name}` })),
    ],
  };
}

async function measure(count, input, rateLimitHeaders) {
  const name = rateLimitHeaders ? 'rate-limited (with x-ratelimit headers)' : 'rate-limited';
  const simulator = await startSimulatorProcess({ rpm: RPM, latencyMs: 0, trackDuplicates: false, rateLimitHeaders });
  const workspace = freshWorkspace(rateLimitHeaders ? 'rate-limited-headers' : 'rate-limited');
  try {
    const result = await runJobMeasured({
      workspace,
      input: input.path,
      baseUrl: simulator.baseUrl,
      jobId: rateLimitHeaders ? 'rate-limited-headers' : 'rate-limited',
      set: ['retry.max_attempts=4'],
    });
    const report = result.json?.report;
    if (report === undefined) assertCompleted(result, 'rate-limited');
    const simulatorStats = (await simulator.command('stats')).stats;
    const idealS = count / (RPM / 60);
    const wallS = result.wallMs / 1000;
    const deviation = wallS / idealS - 1;
    const engineDeviation = report.wall_time_s / idealS - 1;
    const rateLimited = simulatorStats.faults.rateLimited;
    const figures = {
      requests: count,
      outcome: result.json.outcome,
      succeeded: report.counts.succeeded,
      failed: report.counts.failed,
      missing: report.counts.missing,
      retries: report.retries,
      retries_by_cause: report.retries_by_cause,
      wall_s: wallS,
      engine_wall_s: report.wall_time_s,
      ideal_s: idealS,
      deviation,
      engine_deviation: engineDeviation,
      simulator_429: rateLimited,
      simulator_requests: simulatorStats.generationRequests,
      simulator_by_status: simulatorStats.byStatus,
      cpu_s: cpuSeconds(result.usage),
    };
    log(`${name} figures: ${JSON.stringify(figures)}`);
    const sign = (value) => (value >= 0 ? '+' : '');
    const summary =
      `${name}: ${formatInt(report.counts.failed)} failed of ${formatInt(count)} | wall ${fixed(wallS, 1)} s vs ideal ` +
      `${fixed(idealS, 1)} s (${sign(deviation)}${percent(deviation)}; engine's own ${fixed(report.wall_time_s, 1)} s) | ` +
      `${formatInt(rateLimited)} 429s from the simulator out of ${formatInt(simulatorStats.generationRequests)} requests, ` +
      `${formatInt(report.retries)} retries`;
    const checks = [
      check(
        'failed items',
        report.counts.failed === 0 && report.counts.missing === 0,
        formatInt(report.counts.failed),
        '0',
      ),
      check(
        'wall time vs ideal',
        Math.abs(deviation) <= TOLERANCE,
        `${fixed(wallS, 1)} s (${sign(deviation)}${percent(deviation)})`,
        `${fixed(idealS, 1)} s +- ${percent(TOLERANCE)}`,
      ),
    ];
    return { name: 'rate-limited', summary, figures, checks };
  } finally {
    await simulator.close();
    removeWorkspace(workspace);
  }
}

await runIfMain(import.meta.url, run);
