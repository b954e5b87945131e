// 4. Resume cost: a 1,000,000-item job (the 500-byte-line input of memory.mjs) is run against a zero-latency
// simulator and killed with SIGKILL when the simulator has received all but 1,000 of its requests (the simulator
// process announces that count itself, so the kill lands within a millisecond or so). Then `batchpilot resume JOB` is
// started and timed from its spawn to the first generation request the simulator receives (logged by the simulator
// process, both clocks being the same machine's epoch clock). The resume then runs to the end and is checked.
import { bigInput } from './memory.mjs';
import {
  check,
  cpuSeconds,
  fixed,
  formatInt,
  freshWorkspace,
  log,
  peakRssMB,
  removeWorkspace,
  runBatchpilot,
  runIfMain,
  sleep,
  startSimulatorProcess,
} from './lib.mjs';

const CONCURRENCY = 256;
const LEFT = 1000;
const TARGET_MS = 500;
const JOB = 'resume-cost';

export async function run() {
  const input = await bigInput();
  const count = input.lines;
  const left = Math.min(LEFT, Math.max(1, Math.floor(count / 10)));
  const simulator = await startSimulatorProcess({ latencyMs: 0, trackDuplicates: false });
  const workspace = freshWorkspace('resume-cost');
  try {
    // Phase 1: run until all but `left` requests have reached the simulator, then kill -9.
    await simulator.command('notify-at', { requests: count - left });
    let child;
    const reached = simulator.next('count-reached');
    let killedAt = null;
    void reached.then((event) => {
      if (child !== undefined && child.exitCode === null) {
        child.kill('SIGKILL');
        killedAt = event;
      }
    });
    const args = ['run', input.path, '--base-url', simulator.baseUrl, '--no-progress', '--json', '--job', JOB];
    args.push('--concurrency', String(CONCURRENCY));
    log(`batchpilot ${args.join(' ')} (to be killed at ${formatInt(count - left)} requests)`);
    const first = await runBatchpilot(workspace, args, {
      name: 'resume-cost-first',
      onSpawn: (spawned) => {
        child = spawned;
      },
    });
    if (first.signal !== 'SIGKILL' || killedAt === null) {
      throw new Error(`the first run was not killed (exit ${String(first.code)}): ${first.stderr.slice(-2000)}`);
    }
    log(`killed after ${fixed(first.wallMs / 1000, 1)} s at ${formatInt(killedAt.requests)} requests`);

    const status = await runBatchpilot(workspace, ['status', JOB, '--json'], { name: 'resume-cost-status' });
    const counts = JSON.parse(status.stdout).counts;
    const itemsLeft = count - counts.succeeded - counts.failed;
    log(`store after the kill: ${JSON.stringify(counts)}; items left ${formatInt(itemsLeft)}`);

    // Phase 2: resume, timed from spawn to the simulator's first generation request.
    await simulator.command('reset');
    await simulator.command('watch-first');
    const firstRequest = simulator.next('first-request');
    log(`batchpilot resume ${JOB}`);
    const resumed = await runBatchpilot(workspace, ['resume', JOB, '--no-progress', '--json'], {
      name: 'resume-cost-resume',
    });
    const firstEvent = await Promise.race([firstRequest, sleep(5000).then(() => null)]);
    if (firstEvent === null) throw new Error(`resume sent no request: ${resumed.stderr.slice(-2000)}`);
    const timeToFirstMs = firstEvent.t - resumed.startedAtEpoch;
    const simulatorStats = (await simulator.command('stats')).stats;
    const report = resumed.json?.report;
    if (resumed.json?.outcome !== 'completed' || report === undefined) {
      throw new Error(`resume did not complete (exit ${String(resumed.code)}): ${resumed.stderr.slice(-2000)}`);
    }
    const figures = {
      items: count,
      killed_at_requests: killedAt.requests,
      first_run_wall_s: first.wallMs / 1000,
      counts_after_kill: counts,
      items_left: itemsLeft,
      status_command_wall_s: status.wallMs / 1000,
      time_to_first_request_ms: timeToFirstMs,
      resume_wall_s: resumed.wallMs / 1000,
      resume_cpu_s: cpuSeconds(resumed.usage),
      resume_peak_rss_mb: peakRssMB(resumed.usage),
      resume_requests: simulatorStats.generationRequests,
      final_succeeded: report.counts.succeeded,
      final_failed: report.counts.failed,
      final_missing: report.counts.missing,
    };
    log(`resume-cost figures: ${JSON.stringify(figures)}`);
    const summary =
      `resume-cost: first request ${formatInt(timeToFirstMs)} ms after spawning "resume" | ${formatInt(itemsLeft)} of ` +
      `${formatInt(count)} items left after kill -9 (for scale: "status JOB" takes ${formatInt(status.wallMs)} ms) | resume sent ${formatInt(simulatorStats.generationRequests)} requests, ` +
      `finished in ${fixed(resumed.wallMs / 1000, 2)} s | final ${formatInt(report.counts.succeeded)} succeeded`;
    const checks = [
      check(
        'time to first request',
        timeToFirstMs < TARGET_MS,
        `${formatInt(timeToFirstMs)} ms`,
        `< ${formatInt(TARGET_MS)} ms`,
      ),
      check(
        'resume completes the job',
        report.counts.succeeded === count,
        formatInt(report.counts.succeeded),
        formatInt(count),
      ),
    ];
    return { name: 'resume-cost', summary, figures, checks };
  } finally {
    await simulator.close();
    removeWorkspace(workspace);
  }
}

await runIfMain(import.meta.url, run);
