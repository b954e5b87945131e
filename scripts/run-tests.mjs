// Runs the test suite in two phases with Node's own runner (`run()` from node:test):
//   1. unit: every *.test.ts under test/ outside test/integration, several files at a time;
//   2. integration: every *.test.ts under test/integration, two files at a time (most of a CLI test's time is
//      spent waiting on a server or a kill point; one at a time the suite outgrew its budget).
// New files are picked up by folder. The two runs are reported as one: one TAP (or spec, on a terminal) stream,
// test numbers continued, and one closing summary in the runner's own `# tests/# pass/# fail` form whose `fail`
// counts cancelled tests too (a file cut off by its timeout is reported by Node as `cancelled`, not `fail`), so the
// summary and the exit code always agree.
//
// Usage: node scripts/run-tests.mjs [FILTER]   (FILTER: a substring of the file paths to run)
// Env:   BATCHPILOT_TEST_FILE_TIMEOUT_S  per-file timeout (default 180)
//        BATCHPILOT_TEST_INTEGRATION_CONCURRENCY  integration files at a time (default 2)
//        BATCHPILOT_TEST_DIR             the folder to run instead of test/ (the runner's own test uses it)
//        BATCHPILOT_TEST_SEED            replays the random choices of the tests (printed in their messages)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { run } from 'node:test';
import { spec, tap } from 'node:test/reporters';
import { fileURLToPath } from 'node:url';

// Each test file runs in a child of this process with this process's execArgv: it must hold `--import tsx`.
if (!process.execArgv.some((argument) => argument === 'tsx' || argument === '--import=tsx')) {
  const self = fileURLToPath(import.meta.url);
  const result = spawnSync(process.execPath, ['--import', 'tsx', self, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}

/** What a file may take on an idle 2-core machine; a file over it is named at the end as too slow. */
const FILE_BUDGET_MS = 60_000;
/**
 * The runner's per-file timeout: three times the budget, so a healthy file on a busy machine is not cancelled, while
 * a hung file still ends (see docs/decisions/0005-test-runner.md).
 */
const FILE_TIMEOUT_MS = Number(process.env['BATCHPILOT_TEST_FILE_TIMEOUT_S'] ?? 180) * 1000;

/**
 * Integration files run two at a time: most of their time is spent waiting (on a simulator's latency, a kill point, a
 * poll), and one at a time the suite outgrew its 10-minute budget on 2 cores (docs/decisions/0005-test-runner.md).
 */
const INTEGRATION_CONCURRENCY = Number(process.env['BATCHPILOT_TEST_INTEGRATION_CONCURRENCY'] ?? 2);

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
// Another folder laid out like test/ (unit files anywhere, integration files under integration/): the runner's own test.
const TEST_DIR = resolve(ROOT, process.env['BATCHPILOT_TEST_DIR'] ?? 'test');
const INTEGRATION_DIR = join(TEST_DIR, 'integration') + sep;

function findTests(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

const filter = process.argv[2];
const files = findTests(TEST_DIR).filter((file) => filter === undefined || relative(ROOT, file).includes(filter));
if (files.length === 0) {
  console.error(`no test files found${filter === undefined ? '' : ` matching "${filter}"`}`);
  process.exit(1);
}
const phases = [
  {
    name: 'unit',
    files: files.filter((file) => !file.startsWith(INTEGRATION_DIR)),
    concurrency: Math.max(2, availableParallelism()),
  },
  {
    name: 'integration',
    files: files.filter((file) => file.startsWith(INTEGRATION_DIR)),
    concurrency: INTEGRATION_CONCURRENCY,
  },
].filter((phase) => phase.files.length > 0);

const SUMMARY = /^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) (\d+(?:\.\d+)?)$/;
const totals = { tests: 0, suites: 0, pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 };
/** Failures seen as events, in case a runner summary ever undercounts them (the exit code follows the events). */
let failuresSeen = 0;
let topLevel = 0;
/** Wall time of each file, from the runner's `test:complete` of the file itself. */
const fileDurations = new Map();

function diagnostic(message) {
  return { type: 'test:diagnostic', data: { nesting: 0, message, file: undefined } };
}

/** The events of every phase, as one run: per-phase summaries and plans folded into one at the end. */
async function* events() {
  const started = performance.now();
  for (const phase of phases) {
    const phaseStarted = performance.now();
    yield diagnostic(`${phase.name} tests: ${phase.files.length} files, ${phase.concurrency} at a time`);
    const stream = run({
      files: phase.files,
      concurrency: phase.concurrency,
      timeout: FILE_TIMEOUT_MS,
    });
    for await (const event of stream) {
      const data = event.data;
      if (data.nesting === 0 && event.type === 'test:plan') continue;
      if (data.nesting === 0 && event.type === 'test:diagnostic') {
        const match = SUMMARY.exec(data.message);
        if (match !== null) {
          if (match[1] in totals) totals[match[1]] += Number(match[2]);
          continue;
        }
      }
      if (event.type === 'test:complete' && data.nesting === 0 && phase.files.includes(data.name)) {
        fileDurations.set(data.name, data.details.duration_ms);
      }
      if (event.type === 'test:fail' && !data.todo && data.details?.type !== 'suite') failuresSeen += 1;
      if (data.nesting === 0 && (event.type === 'test:pass' || event.type === 'test:fail')) {
        topLevel += 1;
        yield { ...event, data: { ...data, testNumber: topLevel } };
        continue;
      }
      yield event;
    }
    phase.seconds = (performance.now() - phaseStarted) / 1000;
  }

  for (const phase of phases) yield diagnostic(`${phase.name} tests took ${phase.seconds.toFixed(1)} s`);

  const slowest = [...fileDurations].sort((a, b) => b[1] - a[1]);
  for (const [file, ms] of slowest.slice(0, 5)) {
    yield diagnostic(`slowest: ${relative(ROOT, file)} ${(ms / 1000).toFixed(1)} s`);
  }
  for (const [file, ms] of slowest.filter(([, ms]) => ms > FILE_BUDGET_MS)) {
    yield diagnostic(
      `too slow: ${relative(ROOT, file)} took ${(ms / 1000).toFixed(1)} s, over the ${FILE_BUDGET_MS / 1000} s ` +
        'budget of one file on an idle 2-core machine: split it by scenario',
    );
  }
  // A cancelled test (a file over its timeout, or a test cut off with it) failed: it counts in `fail`.
  const fail = Math.max(totals.fail + totals.cancelled, failuresSeen);
  if (totals.cancelled > 0) yield diagnostic(`fail includes ${totals.cancelled} cancelled (timed out or cut off)`);
  yield { type: 'test:plan', data: { nesting: 0, count: topLevel, file: undefined } };
  yield diagnostic(`tests ${totals.tests}`);
  yield diagnostic(`suites ${totals.suites}`);
  yield diagnostic(`pass ${totals.pass}`);
  yield diagnostic(`fail ${fail}`);
  yield diagnostic(`cancelled ${totals.cancelled}`);
  yield diagnostic(`skipped ${totals.skipped}`);
  yield diagnostic(`todo ${totals.todo}`);
  yield diagnostic(`duration_ms ${performance.now() - started}`);
  process.exitCode = fail > 0 ? 1 : 0;
}

const output = process.stdout.isTTY ? Readable.from(events()).pipe(new spec()) : tap(events());
for await (const chunk of output) process.stdout.write(chunk);
