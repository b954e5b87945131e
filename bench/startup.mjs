// 13. Start-up (issue 15): how long a command takes from spawn to exit, median of 10 runs each, against a bare
// `node -e 0` measured in the same run: `--version`; `status` on an empty workspace (its store made, no job); and
// `run --detach`, from spawn to its status JSON, for a 1,000-line job handed to the workspace's scheduler (the first
// of the ten starts the scheduler, the others find it running). No measuring hook is loaded into these children:
// what is timed is what a user waits for.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import {
  BIN,
  ROOT,
  check,
  ensureInput,
  fixed,
  freshWorkspace,
  removeWorkspace,
  runBatchpilot,
  runIfMain,
  shortLine,
  startSimulatorProcess,
} from './lib.mjs';

const RUNS = 10;
const TARGET_VERSION_MS = 150;
const TARGET_STATUS_MS = 250;
const TARGET_DETACH_MS = 500;

export async function run() {
  const baseline = await medianOf(() => timed(['-e', '0']));
  const workspace = freshWorkspace('startup');
  const simulator = await startSimulatorProcess({ latencyMs: 0, trackDuplicates: false });
  try {
    const cli = (args) => timed([BIN, '--workspace', workspace, ...args]);
    const version = await medianOf(() => cli(['--version']));
    // `list` makes the workspace's store; `status` then reads an empty one.
    await cli(['list']);
    const status = await medianOf(() => cli(['status']));
    const input = await ensureInput('startup-1k', 1000, shortLine);
    const detachArgs = ['run', input.path, '--base-url', simulator.baseUrl, '--detach', '--json'];
    const detach = await medianOf(async () => {
      const result = await cli(detachArgs);
      const status = JSON.parse(result.stdout);
      if (typeof status.job_id !== 'string') throw new Error(`--detach printed no status: ${result.stdout}`);
      return result;
    });
    await runBatchpilot(workspace, ['scheduler', 'stop'], { name: 'startup-scheduler-stop', cpuProf: false });
    const figures = {
      node_ms: baseline.median,
      version_ms: version.median,
      status_ms: status.median,
      detach_ms: detach.median,
      runs: { node: baseline.all, version: version.all, status: status.all, detach: detach.all },
    };
    const summary =
      `startup: median of ${String(RUNS)}: --version ${fixed(version.median, 0)} ms, status ${fixed(status.median, 0)} ms, ` +
      `run --detach ${fixed(detach.median, 0)} ms; bare node -e 0 ${fixed(baseline.median, 0)} ms`;
    return {
      name: 'startup',
      summary,
      figures,
      checks: [
        check(
          '--version',
          version.median <= TARGET_VERSION_MS,
          `${fixed(version.median, 0)} ms`,
          `<= ${String(TARGET_VERSION_MS)} ms`,
        ),
        check(
          'status, empty workspace',
          status.median <= TARGET_STATUS_MS,
          `${fixed(status.median, 0)} ms`,
          `<= ${String(TARGET_STATUS_MS)} ms`,
        ),
        check(
          'run --detach',
          detach.median <= TARGET_DETACH_MS,
          `${fixed(detach.median, 0)} ms`,
          `<= ${String(TARGET_DETACH_MS)} ms`,
        ),
      ],
    };
  } finally {
    await simulator.close();
    removeWorkspace(workspace);
  }
}

async function medianOf(once) {
  const all = [];
  for (let index = 0; index < RUNS; index++) all.push((await once()).ms);
  const sorted = [...all].sort((a, b) => a - b);
  return { median: (sorted[(RUNS - 1) >> 1] + sorted[RUNS >> 1]) / 2, all: all.map((ms) => Math.round(ms)) };
}

/** `node ARGS`, timed from spawn to exit; throws on a non-zero exit. */
function timed(args) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (data) => (stdout += data));
    child.stderr.setEncoding('utf8').on('data', (data) => (stderr += data));
    child.once('error', reject);
    child.once('close', (code) => {
      const ms = performance.now() - started;
      if (code !== 0) reject(new Error(`node ${args.join(' ')} exited ${String(code)}: ${stderr.slice(-2000)}`));
      else resolve({ ms, stdout });
    });
  });
}

await runIfMain(import.meta.url, run);
