// 10. Data pipeline: 100,000 rows x 3 prompts (300,000 requests) against a zero-latency simulator whose structured
// answers are all valid, in realtime at concurrency 256. The whole pipeline (`run DATA --prompts`: prepare, send,
// check every answer, join back) against a plain `run` of the same 300,000 request lines (the pipeline's own
// jobs/<id>/requests.jsonl), alternately, three pairs; throughput = requests / wall time of the whole command.
// Then the pipeline's peak RSS at 10,000 rows against the 100,000-row runs.
//
// Phase times come from the job log: spawn -> `job-start` (Node start, prepare or input check, job creation),
// `job-start` -> `job-end` (the engine: send and, for the pipeline, check), `job-end` -> exit (result files and,
// for the pipeline, the join-back). The same markers in the plain run show what the pipeline adds to each phase.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import {
  check,
  cpuSeconds,
  ensureInput,
  ensureOutDir,
  fixed,
  formatInt,
  formatMB,
  freshWorkspace,
  log,
  peakRssMB,
  percent,
  removeWorkspace,
  runBatchpilot,
  runCeiling,
  runIfMain,
  scaled,
  startSimulatorProcess,
} from './lib.mjs';

const CONCURRENCY = 256;
const PAIRS = 3;
const TARGET_RATIO = 0.9;
const MAX_GROWTH = 0.25;

const LANGS = ['en', 'zh', 'de', 'fr'];
const PUBLISHERS = ['city_daily', 'anna_k', 'metro_news', 'li_wei', 'the_courier', 'sam_r', 'harbor_post'];
const PHRASES = [
  'The new metro line finally opened and my commute is half as long.',
  'Prices at the market went up again this week; hard to keep up.',
  'Our team won the derby last night, what a match.',
  'Heavy rain all weekend, the river is higher than I have ever seen it.',
  'The council voted to fund three new clinics in the north district.',
  'Tried the new noodle place by the station: generous bowls, slow service.',
];

/** One data row (about 200 bytes): a post with an id, a language, a publisher and a text. */
export function dataRow(index) {
  return JSON.stringify({
    id: `post-${String(index + 1).padStart(6, '0')}`,
    lang: LANGS[index % LANGS.length],
    publisher: PUBLISHERS[index % PUBLISHERS.length],
    likes: (index * 37) % 1000,
    text: `${PHRASES[index % PHRASES.length]} ${PHRASES[(index * 7 + 3) % PHRASES.length]} (#${String(index + 1)})`,
  });
}

const SCHEMAS = {
  'sentiment.schema.json': {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: {
      polarity: { type: 'string', enum: ['positive', 'neutral', 'negative'] },
      score: { type: 'number', minimum: -1, maximum: 1 },
      reason: { type: 'string' },
    },
    required: ['polarity', 'score', 'reason'],
    additionalProperties: false,
  },
  'topic.schema.json': {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: {
      topics: {
        type: 'array',
        items: {
          type: 'string',
          enum: ['transport', 'economy', 'sports', 'politics', 'food', 'weather', 'health', 'culture'],
        },
      },
      primary: { type: 'string' },
    },
    required: ['topics', 'primary'],
    additionalProperties: false,
  },
  'publisher.schema.json': {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: {
      kind: { type: 'string', enum: ['newspaper', 'person', 'agency', 'unknown'] },
      confidence: { type: 'number', minimum: 0, maximum: 1 },
      local: { type: 'boolean' },
    },
    required: ['kind', 'confidence', 'local'],
    additionalProperties: false,
  },
};

const PROMPTS_YAML = `# bench/data-pipeline.mjs: three analyses of each post, every one a JSON answer checked against its schema.
defaults:
  model: gpt-4o-mini
  request: { temperature: 0.2, max_tokens: 256 }
  reask: { max: 2 }

prompts:
  sentiment_polarity:
    system: 'You are a careful annotator. Answer with JSON only.'
    template: sentiment.md
    output:
      format: json
      schema: sentiment.schema.json

  topic:
    system: 'You are a careful annotator. Answer with JSON only.'
    text: |
      Which topics does this post touch? Pick one to three, and name the primary one.
      Post: {{ text }}
    output:
      format: json
      schema: topic.schema.json

  publisher_profile:
    system: 'You are a careful annotator. Answer with JSON only.'
    text: |
      Who is {{ row.publisher }}, who wrote this post in {{ lang }} ({{ likes }} likes)?
      Post: {{ text }}
      Say what kind of publisher it is, how sure you are, and whether it is local.
    output:
      format: json
      schema: publisher.schema.json
`;

const SENTIMENT_TEMPLATE = `Classify the sentiment of this post by {{ row.publisher }}.

Post: {{ text }}

Answer with JSON only: the polarity (positive, neutral or negative), a score from -1 to 1, and a one-sentence reason.
`;

/** Writes the prompts file, its template and its schemas to bench/.out/inputs/data-pipeline/; returns its path. */
export function writePrompts() {
  const dir = ensureOutDir('inputs', 'data-pipeline');
  for (const [name, schema] of Object.entries(SCHEMAS)) writeFileSync(join(dir, name), JSON.stringify(schema, null, 2));
  writeFileSync(join(dir, 'sentiment.md'), SENTIMENT_TEMPLATE);
  const path = join(dir, 'prompts.yaml');
  writeFileSync(path, PROMPTS_YAML);
  return path;
}

/** The job log's `job-start` and `job-end` times (epoch ms), when the workspace is still there. */
function jobLogTimes(workspace, jobId) {
  const path = join(workspace, 'jobs', jobId, 'job.log');
  if (!existsSync(path)) return {};
  const times = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line === '') continue;
    try {
      const event = JSON.parse(line);
      if (event.msg === 'job-start' && times.start === undefined) times.start = event.time;
      if (event.msg === 'job-end') times.end = event.time;
    } catch {
      // Not a log line.
    }
  }
  return times;
}

/**
 * One measured `batchpilot run`: `args` after `run`. Resolves with the figures of the whole command and its phases;
 * `after(workspace, jobId)` runs before the workspace is removed and its result is kept as `after`.
 */
async function measureRun({ simulator, name, args, requests, after }) {
  const workspace = freshWorkspace(name);
  try {
    await simulator.command('reset');
    const cmd = ['run', ...args, '--base-url', simulator.baseUrl, '--no-progress', '--json', '--job', name];
    cmd.push('--concurrency', String(CONCURRENCY));
    const load = loadavg()[0];
    log(`batchpilot ${cmd.join(' ')} (load ${load.toFixed(1)})`);
    const result = await runBatchpilot(workspace, cmd, { name });
    const report = result.json?.report;
    if (result.json?.outcome !== 'completed' || report === undefined) {
      throw new Error(
        `${name}: batchpilot exited ${String(result.code ?? result.signal)} without a completed report\n` +
          `stdout: ${result.stdout.slice(-2000)}\nstderr: ${result.stderr.slice(-2000)}`,
      );
    }
    const sent = (await simulator.command('stats')).stats.generationRequests;
    if (report.counts.succeeded !== requests || sent !== requests) {
      throw new Error(
        `${name}: ${String(report.counts.succeeded)} succeeded, ${String(sent)} sent, expected ${String(requests)} of each`,
      );
    }
    const integration = result.json.integration;
    if (integration !== undefined) {
      const valid = integration.overall?.answers?.valid;
      if (valid !== requests) {
        throw new Error(
          `${name}: ${String(valid)} valid answers of ${String(requests)}: ${JSON.stringify(integration.overall)}`,
        );
      }
    }
    const times = jobLogTimes(workspace, name);
    const exitedAt = result.usage?.exitedAt ?? result.startedAtEpoch + result.wallMs;
    const phases =
      times.start === undefined || times.end === undefined
        ? null
        : {
            until_start_s: (times.start - result.startedAtEpoch) / 1000,
            engine_s: (times.end - times.start) / 1000,
            after_end_s: (exitedAt - times.end) / 1000,
          };
    const wallS = result.wallMs / 1000;
    const afterFigures = after === undefined ? undefined : await after(workspace, name);
    return {
      ...(afterFigures === undefined ? {} : { after: afterFigures }),
      requests,
      wall_s: wallS,
      rps: requests / wallS,
      engine_rps: report.throughput_rps,
      cpu_s: cpuSeconds(result.usage),
      peak_rss_mb: peakRssMB(result.usage),
      load_before: load,
      load_after: loadavg()[0],
      phases,
    };
  } finally {
    removeWorkspace(workspace);
  }
}

/** `batchpilot integrate JOB` on a finished pipeline job: the join-back alone, Node start included. */
async function integrateAgain(workspace, jobId) {
  const result = await runBatchpilot(workspace, ['integrate', jobId], { name: `${jobId}-integrate` });
  if (result.code !== 0) throw new Error(`integrate exited ${String(result.code)}: ${result.stderr.slice(-2000)}`);
  return { wall_s: result.wallMs / 1000, cpu_s: cpuSeconds(result.usage), peak_rss_mb: peakRssMB(result.usage) };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function describePhases(phases) {
  if (phases === null) return 'phases n/a';
  return `start->job-start ${fixed(phases.until_start_s, 1)} s, engine ${fixed(phases.engine_s, 1)} s, job-end->exit ${fixed(phases.after_end_s, 1)} s`;
}

export async function run() {
  const rows = scaled(100_000);
  const smallRows = scaled(10_000);
  const requests = rows * 3;
  const prompts = writePrompts();
  const data = await ensureInput(`data-rows-${String(rows)}`, rows, dataRow);
  const smallData = await ensureInput(`data-rows-${String(smallRows)}`, smallRows, dataRow);
  const requestLines = join(ensureOutDir('inputs'), `data-requests-${String(rows)}.jsonl`);
  const simulator = await startSimulatorProcess({ latencyMs: 0, trackDuplicates: false });
  try {
    // The plain runs send exactly the lines the pipeline prepares: `batchpilot prepare` writes them, and its wall
    // time is the prepare phase on its own (Node start included).
    const prepareWorkspace = freshWorkspace('data-prepare');
    log(`batchpilot prepare ${data.path} --prompts ${prompts} --out ${requestLines}`);
    const prepared = await runBatchpilot(
      prepareWorkspace,
      ['prepare', data.path, '--prompts', prompts, '--out', requestLines],
      {
        name: 'data-prepare',
      },
    );
    removeWorkspace(prepareWorkspace);
    if (prepared.code !== 0)
      throw new Error(`prepare exited ${String(prepared.code)}: ${prepared.stderr.slice(-2000)}`);
    const prepare = {
      wall_s: prepared.wallMs / 1000,
      cpu_s: cpuSeconds(prepared.usage),
      peak_rss_mb: peakRssMB(prepared.usage),
      request_bytes: statSync(requestLines).size,
    };
    log(`prepare: ${JSON.stringify(prepare)}`);
    // Warm the simulator's JIT on the same lines so that neither measured run pays for it.
    await runCeiling({
      baseUrl: simulator.baseUrl,
      input: requestLines,
      concurrency: CONCURRENCY,
      limit: Math.min(requests, 20_000),
      name: 'warmup',
    });
    const pipeline = (index) =>
      measureRun({
        simulator,
        name: `data-pipeline-${String(index)}`,
        args: [data.path, '--prompts', prompts],
        requests,
        // Once: the join-back alone (`integrate JOB` writes the enriched dataset again from the store), for its CPU.
        after: index === PAIRS ? integrateAgain : undefined,
      });
    const plain = (index) =>
      measureRun({ simulator, name: `data-plain-${String(index)}`, args: [requestLines], requests });

    const pairs = [];
    for (let index = 1; index <= PAIRS; index += 1) {
      // Alternate which goes first, so a machine getting busier or quieter favours neither.
      const pipelineFirst = index % 2 === 1;
      let pipelineRun;
      let plainRun;
      if (pipelineFirst) {
        pipelineRun = await pipeline(index);
        plainRun = await plain(index);
      } else {
        plainRun = await plain(index);
        pipelineRun = await pipeline(index);
      }
      const ratio = pipelineRun.rps / plainRun.rps;
      log(
        `pair ${String(index)}: pipeline ${formatInt(pipelineRun.rps)} req/s (${describePhases(pipelineRun.phases)}), ` +
          `plain ${formatInt(plainRun.rps)} req/s (${describePhases(plainRun.phases)}) = ${percent(ratio)}`,
      );
      pairs.push({ pipeline_first: pipelineFirst, pipeline: pipelineRun, plain: plainRun, ratio });
    }
    const small = await measureRun({
      simulator,
      name: 'data-pipeline-small',
      args: [smallData.path, '--prompts', prompts],
      requests: smallRows * 3,
    });

    const medianPair = [...pairs].sort((a, b) => a.ratio - b.ratio)[Math.floor(pairs.length / 2)];
    const ratio = medianPair.ratio;
    const bigRss = median(pairs.map((pair) => pair.pipeline.peak_rss_mb));
    const growth = bigRss / small.peak_rss_mb - 1;
    const loads = pairs.flatMap((pair) => [pair.pipeline.load_before, pair.plain.load_before]);
    const figures = {
      rows,
      prompts: 3,
      requests,
      data_bytes: data.bytes,
      prepare,
      pairs,
      ratio,
      ratios: pairs.map((pair) => pair.ratio),
      pipeline_rps: median(pairs.map((pair) => pair.pipeline.rps)),
      plain_rps: median(pairs.map((pair) => pair.plain.rps)),
      pipeline_cpu_s_per_1k: median(pairs.map((pair) => pair.pipeline.cpu_s / (requests / 1000))),
      plain_cpu_s_per_1k: median(pairs.map((pair) => pair.plain.cpu_s / (requests / 1000))),
      // The same comparison in CPU seconds (plain / pipeline): what the ratio tends to where the batchpilot process
      // is the bottleneck, and less moved by the load than the wall time.
      cpu_ratio: median(pairs.map((pair) => pair.plain.cpu_s / pair.pipeline.cpu_s)),
      join_back_alone: pairs.find((pair) => pair.pipeline.after !== undefined)?.pipeline.after ?? null,
      small,
      peak_rss_mb: {
        small: small.peak_rss_mb,
        big: bigRss,
        plain: median(pairs.map((pair) => pair.plain.peak_rss_mb)),
      },
      growth,
      load_1m: { min: Math.min(...loads), max: Math.max(...loads) },
    };
    log(`data-pipeline figures: ${JSON.stringify(figures)}`);
    const summary =
      `data-pipeline: ${formatInt(rows)} rows x 3 prompts (${formatMB(data.bytes)}), pipeline ${formatInt(medianPair.pipeline.rps)} req/s ` +
      `vs plain run ${formatInt(medianPair.plain.rps)} req/s = ${percent(ratio)} (median of ${String(PAIRS)} pairs: ` +
      `${pairs.map((pair) => percent(pair.ratio)).join(', ')}) | median pair's phases: pipeline [${describePhases(medianPair.pipeline.phases)}], ` +
      `plain [${describePhases(medianPair.plain.phases)}] | prepare alone ${fixed(prepare.wall_s, 1)} s | CPU-s per 1k ${fixed(figures.pipeline_cpu_s_per_1k, 3)} vs ${fixed(figures.plain_cpu_s_per_1k, 3)} ` +
      `(CPU ratio ${percent(figures.cpu_ratio)}; alone, Node start included: prepare ${fixed(prepare.cpu_s, 1)} CPU-s, ` +
      `join-back ${fixed(figures.join_back_alone?.cpu_s, 1)} CPU-s in ${fixed(figures.join_back_alone?.wall_s, 1)} s) | ` +
      `peak RSS ${fixed(bigRss, 0)} MB at ${formatInt(rows)} rows vs ${fixed(small.peak_rss_mb, 0)} MB at ${formatInt(smallRows)} = ` +
      `${growth >= 0 ? '+' : ''}${percent(growth)} (plain run ${fixed(figures.peak_rss_mb.plain, 0)} MB) | ` +
      `load ${fixed(figures.load_1m.min, 1)}-${fixed(figures.load_1m.max, 1)} on ${String(cpus().length)} cores`;
    const checks = [
      check('pipeline vs plain run', ratio >= TARGET_RATIO, percent(ratio), `>= ${percent(TARGET_RATIO)}`),
      check(
        `peak RSS ${formatInt(smallRows)} -> ${formatInt(rows)} rows`,
        growth <= MAX_GROWTH,
        `${growth >= 0 ? '+' : ''}${percent(growth)}`,
        `<= +${percent(MAX_GROWTH)}`,
      ),
    ];
    return { name: 'data-pipeline', summary, figures, checks };
  } finally {
    await simulator.close();
  }
}

await runIfMain(import.meta.url, run);
