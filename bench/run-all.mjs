// Runs the benchmarks one at a time, in order, prints each figure and a results table, and writes
// bench/.out/results.json.
//
//   node bench/run-all.mjs                 all of them (npm run bench builds first)
//   node bench/run-all.mjs overhead memory only those
//   BENCH_SCALE=0.05 node bench/run-all.mjs    every request count scaled down, for a quick try
//   BENCH_CPU_PROF=1                          batchpilot children write .cpuprofile files to bench/.out/prof/
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { OUT_DIR, SCALE, ensureOutDir, log, printResult } from './lib.mjs';

const BENCHMARKS = [
  'overhead',
  'latency-bound',
  'memory',
  'resume-cost',
  'rate-limited',
  'scattered-429',
  'mixed-faults',
  'batch',
  'scheduler',
  'data-pipeline',
  'sinks',
  'workers',
  'startup',
  'dashboard',
];

const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!BENCHMARKS.includes(name)) {
    console.error(`unknown benchmark "${name}"; pick from: ${BENCHMARKS.join(', ')}`);
    process.exit(2);
  }
}
const selected = wanted.length === 0 ? BENCHMARKS : BENCHMARKS.filter((name) => wanted.includes(name));

ensureOutDir();
const context = {};
const results = [];
const started = performance.now();
for (const name of selected) {
  log(`--- ${name} (scale ${String(SCALE)})`);
  const benchStarted = performance.now();
  const module = await import(`./${name}.mjs`);
  try {
    const result = await module.run(context);
    result.seconds = (performance.now() - benchStarted) / 1000;
    results.push(result);
    printResult(result);
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    console.log(`${name}: ERROR ${message}`);
    results.push({ name, error: message, checks: [{ name, pass: false, value: 'error', target: 'runs' }] });
  }
}

const rows = results.flatMap((result) =>
  result.checks.map((item) => [
    result.name,
    item.name,
    String(item.value),
    String(item.target),
    item.pass ? 'PASS' : 'MISS',
  ]),
);
const header = ['benchmark', 'figure', 'value', 'target', 'result'];
const widths = header.map((title, index) => Math.max(title.length, ...rows.map((row) => row[index].length)));
const line = (cells) => `| ${cells.map((cell, index) => cell.padEnd(widths[index])).join(' | ')} |`;
console.log('');
console.log(line(header));
console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
for (const row of rows) console.log(line(row));
console.log('');
for (const result of results) if (result.summary !== undefined) console.log(result.summary);

const path = join(OUT_DIR, 'results.json');
writeFileSync(
  path,
  `${JSON.stringify(
    {
      scale: SCALE,
      node: process.version,
      finished_at: new Date().toISOString(),
      total_seconds: (performance.now() - started) / 1000,
      results,
    },
    null,
    2,
  )}\n`,
);
console.log(`\nresults written to ${path}`);
// A missed target is a figure to report, not a crash: only a benchmark that could not run fails the command.
process.exitCode = results.some((result) => result.error !== undefined) ? 1 : 0;
