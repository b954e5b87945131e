// Shared helpers of the benchmarks: child processes, the simulator process, inputs, measurements, formatting.
// Everything here runs in the orchestrating process, which stays idle while a benchmark runs (it spawns the
// simulator and batchpilot as separate processes and only waits for them).
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { request } from 'undici';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const ROOT = dirname(BENCH_DIR);
export const OUT_DIR = join(BENCH_DIR, '.out');
export const BIN = join(ROOT, 'bin', 'batchpilot.js');
const MEASURE_HOOK = new URL('./measure-child.mjs', import.meta.url).href;
const SIMULATOR_SCRIPT = join(BENCH_DIR, 'simulator-process.mjs');

/** BENCH_SCALE=0.05 scales every request count down for a quick try. */
export const SCALE = (() => {
  const raw = process.env['BENCH_SCALE'];
  if (raw === undefined || raw === '') return 1;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`BENCH_SCALE must be a positive number, got ${raw}`);
  return value;
})();

/** BENCH_CPU_PROF=1 runs every batchpilot child with --cpu-prof into bench/.out/prof/. */
export const CPU_PROF = process.env['BENCH_CPU_PROF'] === '1';
/** BENCH_KEEP=1 keeps the workspaces (SQLite store and result files) of the runs. */
export const KEEP = process.env['BENCH_KEEP'] === '1';

export function scaled(count) {
  return Math.max(1, Math.round(count * SCALE));
}

export function ensureOutDir(...parts) {
  const dir = join(OUT_DIR, ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A fresh, empty workspace folder under bench/.out/ws/. */
export function freshWorkspace(name) {
  const dir = join(ensureOutDir('ws'), name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function removeWorkspace(dir) {
  if (!KEEP) rmSync(dir, { recursive: true, force: true });
}

export function log(message) {
  process.stderr.write(`[bench] ${message}\n`);
}

// ---------------------------------------------------------------------------------------------------------------
// Inputs

const TOPICS = ['volcanoes', 'bees', 'glaciers', 'tides', 'comets', 'ferns', 'octopuses', 'deserts', 'lightning'];
const FILLER = 'The quick brown fox jumps over the lazy dog while the benchmark measures batch throughput. ';

/** An OpenAI batch line with a short chat message (about 250 bytes), like examples/requests.jsonl. */
export function shortLine(index) {
  const topic = TOPICS[index % TOPICS.length];
  return JSON.stringify({
    custom_id: `request-${String(index + 1)}`,
    method: 'POST',
    url: '/v1/chat/completions',
    body: {
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'You are a concise science explainer.' },
        { role: 'user', content: `Fact #${String(index + 1)}: explain one thing about ${topic} in one sentence.` },
      ],
      max_tokens: 64,
    },
  });
}

/** The same shape, with the user message padded so that every line is exactly `bytes` bytes, newline included. */
export function paddedLine(index, bytes = 500) {
  const topic = TOPICS[index % TOPICS.length];
  const build = (pad) =>
    JSON.stringify({
      custom_id: `request-${String(index + 1)}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: {
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'You are a concise science explainer.' },
          {
            role: 'user',
            content: `Fact #${String(index + 1)}: explain one thing about ${topic} in one sentence. ${pad}`,
          },
        ],
        max_tokens: 64,
      },
    });
  const bare = build('').length;
  const padLength = Math.max(0, bytes - 1 - bare);
  const pad = FILLER.repeat(Math.ceil(padLength / FILLER.length) + 1).slice(0, padLength);
  return build(pad);
}

/**
 * Writes `count` lines made by `makeLine(index)` to bench/.out/inputs/NAME.jsonl, streaming, unless a file written
 * earlier by the same generator and count is there with its recorded size. Returns { path, bytes, lines, reused }.
 */
export async function ensureInput(name, count, makeLine) {
  const dir = ensureOutDir('inputs');
  const path = join(dir, `${name}.jsonl`);
  const metaPath = `${path}.meta.json`;
  const version = `${name}:${String(count)}:v1`;
  if (existsSync(path) && existsSync(metaPath)) {
    try {
      const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
      if (meta.version === version && statSync(path).size === meta.bytes) {
        return { path, bytes: meta.bytes, lines: count, reused: true };
      }
    } catch {
      // Regenerate below.
    }
  }
  log(`writing ${String(count)} lines to ${path}`);
  const started = performance.now();
  const temp = `${path}.tmp`;
  const out = createWriteStream(temp);
  let bytes = 0;
  let chunk = '';
  for (let index = 0; index < count; index += 1) {
    const line = `${makeLine(index)}\n`;
    chunk += line;
    bytes += Buffer.byteLength(line);
    if (chunk.length >= 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  if (chunk.length > 0) out.write(chunk);
  out.end();
  await once(out, 'finish');
  renameSync(temp, path);
  await writeFile(metaPath, JSON.stringify({ version, bytes, lines: count }));
  log(`wrote ${formatMB(bytes)} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { path, bytes, lines: count, reused: false };
}

// ---------------------------------------------------------------------------------------------------------------
// The simulator, in its own process

/**
 * Starts bench/simulator-process.mjs with the given simulator options and resolves once it prints its port.
 * Control commands go to its stdin (see `command`); its events come back as JSON lines on stdout.
 */
export async function startSimulatorProcess(options) {
  const config = { simulator: { host: '127.0.0.1', port: 0, ...options } };
  const child = spawn(process.execPath, [SIMULATOR_SCRIPT, JSON.stringify(config)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const events = [];
  const listeners = new Set();
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    let event;
    try {
      event = JSON.parse(line);
    } catch {
      return;
    }
    events.push(event);
    for (const listener of listeners) listener(event);
  });
  const exited = once(child, 'exit');
  const waitFor = (predicate, timeoutMs = 0) =>
    new Promise((resolve, reject) => {
      const found = events.find(predicate);
      if (found !== undefined) {
        resolve(found);
        return;
      }
      let timer;
      const listener = (event) => {
        if (!predicate(event)) return;
        listeners.delete(listener);
        if (timer !== undefined) clearTimeout(timer);
        resolve(event);
      };
      listeners.add(listener);
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          listeners.delete(listener);
          reject(new Error('timed out waiting for a simulator event'));
        }, timeoutMs);
      }
      void exited.then(() => {
        if (!listeners.has(listener)) return;
        listeners.delete(listener);
        reject(new Error('the simulator process exited'));
      });
    });
  const listening = await waitFor((event) => event.event === 'listening', 15_000);
  const url = `http://127.0.0.1:${String(listening.port)}`;
  return {
    url,
    baseUrl: `${url}/v1`,
    port: listening.port,
    pid: child.pid,
    events,
    waitFor,
    /** Resolves with the next event of that kind (events seen before are ignored). */
    next(kind) {
      const seen = events.length;
      return waitFor((event) => event.event === kind && events.indexOf(event) >= seen);
    },
    async stats() {
      const response = await request(`${url}/stats`);
      return JSON.parse(await response.body.text());
    },
    async reset() {
      const response = await request(`${url}/stats/reset`, { method: 'POST' });
      return JSON.parse(await response.body.text());
    },
    /** Sends a control command on stdin and resolves with its acknowledgement. */
    command(cmd, fields = {}) {
      const acknowledged = this.next(`${cmd}-ok`);
      child.stdin.write(`${JSON.stringify({ cmd, ...fields })}\n`);
      return acknowledged;
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin.end();
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Child processes with CPU and memory accounting

/**
 * Spawns `node [--import measure-child] script ...args` and resolves when it exits, with the wall time from spawn
 * to exit, its stdout, and its resourceUsage() at exit (null when killed by a signal).
 */
export function runMeasured(script, args, { name, env = {}, onSpawn, cpuProf = CPU_PROF, sampleRssMs = 0 } = {}) {
  const usageFile = join(ensureOutDir('usage'), `${name ?? 'child'}-${String(process.pid)}-${String(Date.now())}.json`);
  rmSync(usageFile, { force: true });
  const nodeArgs = ['--import', MEASURE_HOOK];
  if (cpuProf) {
    nodeArgs.push(
      '--cpu-prof',
      '--cpu-prof-dir',
      ensureOutDir('prof'),
      '--cpu-prof-name',
      `${name ?? 'child'}.cpuprofile`,
    );
  }
  const started = performance.now();
  const startedAtEpoch = performance.timeOrigin + started;
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, BENCH_USAGE_FILE: usageFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (data) => (stdout += data));
  child.stderr.on('data', (data) => (stderr += data));
  onSpawn?.(child, startedAtEpoch);
  // Optional RSS timeline from /proc (Linux), to see when the peak happens.
  const rssSamples = [];
  const sampler =
    sampleRssMs > 0
      ? setInterval(() => {
          try {
            const status = readFileSync(`/proc/${String(child.pid)}/status`, 'utf8');
            const match = /VmRSS:\s+(\d+) kB/.exec(status);
            if (match !== null)
              rssSamples.push({ s: (performance.now() - started) / 1000, mb: Number(match[1]) / 1024 });
          } catch {
            // Gone already.
          }
        }, sampleRssMs)
      : undefined;
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (sampler !== undefined) clearInterval(sampler);
      const wallMs = performance.now() - started;
      let usage = null;
      if (existsSync(usageFile)) {
        usage = JSON.parse(readFileSync(usageFile, 'utf8'));
        rmSync(usageFile, { force: true });
      }
      resolve({ code, signal, wallMs, startedAtEpoch, stdout, stderr, usage, rssSamples });
    });
  });
}

/** Runs `batchpilot --workspace W ARGS...` measured; parses the last JSON line of stdout as `json`. */
export async function runBatchpilot(workspace, args, options = {}) {
  const result = await runMeasured(BIN, ['--workspace', workspace, ...args], {
    ...options,
    env: { OPENAI_API_KEY: 'sk-bench', ...options.env },
  });
  const jsonLine = result.stdout
    .trim()
    .split('\n')
    .reverse()
    .find((line) => line.startsWith('{'));
  let json = null;
  if (jsonLine !== undefined) {
    try {
      json = JSON.parse(jsonLine);
    } catch {
      json = null;
    }
  }
  return { ...result, json };
}

/** `batchpilot run` with the flags every benchmark uses; throws when the run did not complete. */
export async function runJobMeasured({
  workspace,
  input,
  baseUrl,
  jobId,
  concurrency,
  set = [],
  name,
  onSpawn,
  sampleRssMs,
  extraGlobal = [],
}) {
  const args = [...extraGlobal, 'run', input, '--base-url', baseUrl, '--no-progress', '--json', '--job', jobId];
  if (concurrency !== undefined) args.push('--concurrency', String(concurrency));
  for (const pair of set) args.push('--set', pair);
  log(`batchpilot ${args.join(' ')}`);
  return runBatchpilot(workspace, args, { name: name ?? jobId, onSpawn, sampleRssMs });
}

export function assertCompleted(result, what) {
  if (result.json?.outcome === 'completed' && result.json.report !== undefined) return result.json.report;
  throw new Error(
    `${what}: batchpilot exited ${String(result.code ?? result.signal)} without a completed report\n` +
      `stdout: ${result.stdout.slice(-2000)}\nstderr: ${result.stderr.slice(-2000)}`,
  );
}

/** The bare undici loop (bench/ceiling-client.mjs) against the same simulator, measured the same way. */
export async function runCeiling({ baseUrl, input, concurrency, limit, name = 'ceiling' }) {
  const script = join(BENCH_DIR, 'ceiling-client.mjs');
  log(
    `ceiling: ${String(concurrency)} workers against ${baseUrl}${limit === undefined ? '' : ` (${String(limit)} requests)`}`,
  );
  const args = [baseUrl, input, String(concurrency)];
  if (limit !== undefined) args.push(String(limit));
  const result = await runMeasured(script, args, { name, cpuProf: false });
  const line = result.stdout.trim().split('\n').at(-1) ?? '';
  let json;
  try {
    json = JSON.parse(line);
  } catch {
    throw new Error(`ceiling client failed (${String(result.code)}): ${result.stderr.slice(-2000)}`);
  }
  return { ...json, usage: result.usage, processWallMs: result.wallMs };
}

// ---------------------------------------------------------------------------------------------------------------
// Figures

export function cpuSeconds(usage) {
  if (usage === null || usage === undefined) return null;
  return (usage.userCPUTime + usage.systemCPUTime) / 1e6;
}

/** resourceUsage().maxRSS is in kilobytes. */
export function peakRssMB(usage) {
  if (usage === null || usage === undefined) return null;
  return usage.maxRSS / 1024;
}

export function formatInt(value) {
  return Math.round(value).toLocaleString('en-US');
}

export function formatMB(bytes) {
  return `${(bytes / 1e6).toFixed(0)} MB`;
}

export function percent(ratio) {
  return `${(ratio * 100).toFixed(0)}%`;
}

export function fixed(value, digits = 2) {
  return value === null || value === undefined ? 'n/a' : value.toFixed(digits);
}

/** One target: { name, value, target, pass } with `target` as text. */
export function check(name, pass, value, target) {
  return { name, pass, value, target };
}

export { sleep };

// ---------------------------------------------------------------------------------------------------------------
// Benchmark modules

/**
 * Every benchmark file exports `run(context)` resolving with { name, summary, figures, checks } and ends with
 * `await runIfMain(import.meta.url, run)`, so `node bench/overhead.mjs` runs it alone.
 */
export async function runIfMain(moduleUrl, run) {
  if (process.argv[1] === undefined || fileURLToPath(moduleUrl) !== process.argv[1]) return;
  const result = await run({});
  printResult(result);
}

export function printResult(result) {
  console.log(result.summary);
  for (const item of result.checks) {
    console.log(`  ${item.pass ? 'PASS' : 'MISS'}  ${item.name}: ${item.value} (target ${item.target})`);
  }
}
