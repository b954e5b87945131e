// The ceiling: the same requests sent by a bare undici loop, no store, no retries, no output files.
//
//   node bench/ceiling-client.mjs BASE_URL INPUT.jsonl CONCURRENCY [LIMIT]
//
// Reads and parses the input first (outside the timed part), then CONCURRENCY workers loop over it with
// pool.request + body.text() + JSON.parse on one undici Pool of CONCURRENCY connections. Prints one JSON line:
// { requests, ok, other, wallMs, rps }.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

const [baseUrl, input, concurrencyText, limitText] = process.argv.slice(2);
if (baseUrl === undefined || input === undefined) {
  console.error('usage: node bench/ceiling-client.mjs BASE_URL INPUT.jsonl [CONCURRENCY] [LIMIT]');
  process.exit(2);
}
const concurrency = Number(concurrencyText ?? '256');
const limit = limitText === undefined ? Infinity : Number(limitText);
const base = new URL(baseUrl);
const basePath = base.pathname.replace(/\/$/, '');

const requests = [];
for (const line of readFileSync(input, 'utf8').split('\n')) {
  if (requests.length >= limit) break;
  if (line.trim() === '') continue;
  const parsed = JSON.parse(line);
  // Batch lines name /v1/chat/completions; the base URL already ends in /v1.
  const url = parsed.url.startsWith('/v1/') ? parsed.url.slice(3) : parsed.url;
  requests.push({ path: `${basePath}${url}`, body: JSON.stringify(parsed.body) });
}

const pool = new Pool(base.origin, {
  connections: concurrency,
  pipelining: 1,
  keepAliveTimeout: 30_000,
  keepAliveMaxTimeout: 600_000,
});
const headers = { 'content-type': 'application/json', 'user-agent': 'ceiling', authorization: 'Bearer sk-bench' };
let next = 0;
let ok = 0;
let other = 0;

async function worker() {
  while (next < requests.length) {
    const item = requests[next];
    next += 1;
    const response = await pool.request({ method: 'POST', path: item.path, headers, body: item.body });
    const text = await response.body.text();
    JSON.parse(text);
    if (response.statusCode === 200) ok += 1;
    else other += 1;
  }
}

const started = performance.now();
await Promise.all(Array.from({ length: concurrency }, () => worker()));
const wallMs = performance.now() - started;
await pool.close();
process.stdout.write(
  `${JSON.stringify({ requests: requests.length, ok, other, wallMs, rps: requests.length / (wallMs / 1000) })}\n`,
);
