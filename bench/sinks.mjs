// 11. Sinks: 50,000 rows in 4 groups with targets (80% of each group's rows: admission by need decides what is
// sent) x 1 prompt (a JSON schema) against a zero-latency simulator that breaks a tenth of the structured answers
// (not re-asked, so those rows are not valid and others are admitted to make up), in realtime at concurrency 256. The
// same data job with a LanceDB sink written every 500 rows against the job without it, alternately, three pairs;
// throughput = requests sent / wall time of the whole command. The table must then hold every valid row once. Peak
// RSS: the 50,000-row runs with the sink against one 5,000-row run with it.
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import {
  check,
  cpuSeconds,
  ensureInput,
  ensureOutDir,
  fixed,
  formatInt,
  freshWorkspace,
  log,
  peakRssMB,
  percent,
  removeWorkspace,
  runBatchpilot,
  runIfMain,
  scaled,
  startSimulatorProcess,
} from './lib.mjs';

const CONCURRENCY = 256;
const PAIRS = 3;
const TARGET_RATIO = 0.9;
const MAX_GROWTH = 0.25;
const EVERY = 500;

const CULTURES = ['korean', 'indian', 'mural', 'chinese'];

/** One image record (about 200 bytes): an id, a culture and a description to critique. */
export function imageRow(index) {
  return JSON.stringify({
    id: `img-${String(index + 1).padStart(6, '0')}`,
    culture: CULTURES[index % CULTURES.length],
    title: `Work number ${String(index + 1)}`,
    description: `A painted scene with figures, a river and mountains in the distance, catalogue entry ${String(index)}.`,
  });
}

const SCHEMA = {
  type: 'object',
  properties: {
    critique: { type: 'string' },
    dimensions: { type: 'array', items: { type: 'string' } },
    score: { type: 'number' },
  },
  required: ['critique', 'dimensions', 'score'],
  additionalProperties: false,
};

const PROMPTS = `prompts:
  critique:
    system: 'You are an art critic. Answer with JSON only.'
    text: 'Critique "{{ title }}" ({{ culture }}): {{ description }}'
    output: { schema: critique.schema.json }
    reask: { max: 0 }
`;

function writeInputs(lanceDir, target) {
  const dir = ensureOutDir('inputs', 'sinks');
  writeFileSync(join(dir, 'critique.schema.json'), JSON.stringify(SCHEMA));
  const prompts = join(dir, 'prompts.yaml');
  writeFileSync(prompts, PROMPTS);
  const base =
    'data: { key: id, group_by: culture }\n' +
    `groups: { targets: { ${CULTURES.map((culture) => `${culture}: ${String(target)}`).join(', ')} } }\n`;
  const plain = join(dir, 'plain.yaml');
  writeFileSync(plain, base);
  const withSink = join(dir, 'with-sink.yaml');
  writeFileSync(
    withSink,
    `${base}sinks:\n  - { type: lancedb, uri: ${JSON.stringify(lanceDir)}, table: critiques, every: ${String(EVERY)} }\n`,
  );
  return { prompts, plain, withSink };
}

async function tableCount(lanceDir) {
  const lancedb = await import('@lancedb/lancedb');
  const db = await lancedb.connect(lanceDir);
  try {
    const table = await db.openTable('critiques');
    const ids = (await table.query().select(['id']).toArray()).map((row) => row.id);
    table.close();
    return { rows: ids.length, distinct: new Set(ids).size };
  } finally {
    db.close();
  }
}

async function measure({ simulator, name, data, prompts, configFile, requests }) {
  const workspace = freshWorkspace(name);
  try {
    await simulator.command('reset');
    const args = ['run', data, '--prompts', prompts, '--config', configFile, '--base-url', simulator.baseUrl];
    args.push('--no-progress', '--json', '--job', name, '--concurrency', String(CONCURRENCY));
    const load = loadavg()[0];
    log(`batchpilot ${args.join(' ')} (load ${load.toFixed(1)})`);
    const result = await runBatchpilot(workspace, args, { name });
    const integration = result.json?.integration;
    if (result.json?.outcome !== 'completed' || integration === undefined) {
      throw new Error(
        `${name}: exited ${String(result.code)}\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-2000)}`,
      );
    }
    const wallS = result.wallMs / 1000;
    return {
      requests,
      wall_s: wallS,
      rps: (result.json?.report?.counts?.succeeded ?? requests) / wallS,
      cpu_s: cpuSeconds(result.usage),
      peak_rss_mb: peakRssMB(result.usage),
      valid: (integration.overall?.answers?.valid ?? 0) + (integration.overall?.answers?.repaired ?? 0),
      sent: result.json?.report?.counts?.succeeded ?? 0,
      sinks: integration.sinks ?? null,
      load_before: load,
    };
  } finally {
    removeWorkspace(workspace);
  }
}

export async function run() {
  const rows = scaled(50_000);
  const smallRows = scaled(5_000);
  const data = await ensureInput(`image-rows-${String(rows)}`, rows, imageRow);
  const smallData = await ensureInput(`image-rows-${String(smallRows)}`, smallRows, imageRow);
  const lanceRoot = ensureOutDir('lancedb-sinks');
  const simulator = await startSimulatorProcess({
    latencyMs: 0,
    trackDuplicates: false,
    structured: { schemaBreak: 0.1, reaskFixRate: 0 },
  });
  try {
    const pairs = [];
    for (let index = 1; index <= PAIRS; index += 1) {
      const lanceDir = join(lanceRoot, `pair-${String(index)}`);
      removeWorkspace(lanceDir);
      const inputs = writeInputs(lanceDir, Math.floor((rows / CULTURES.length) * 0.8));
      const sinkRun = () =>
        measure({
          simulator,
          name: `sinks-${String(index)}`,
          data: data.path,
          prompts: inputs.prompts,
          configFile: inputs.withSink,
          requests: rows,
        });
      const plainRun = () =>
        measure({
          simulator,
          name: `sinks-plain-${String(index)}`,
          data: data.path,
          prompts: inputs.prompts,
          configFile: inputs.plain,
          requests: rows,
        });
      // Alternate which goes first, so a machine getting busier or quieter favours neither.
      let withSink;
      let plain;
      if (index % 2 === 1) {
        withSink = await sinkRun();
        plain = await plainRun();
      } else {
        plain = await plainRun();
        withSink = await sinkRun();
      }
      const table = await tableCount(lanceDir);
      const ratio = withSink.rps / plain.rps;
      log(
        `pair ${String(index)}: with sink ${formatInt(withSink.rps)} req/s, without ${formatInt(plain.rps)} req/s = ${percent(ratio)}; ` +
          `table ${formatInt(table.rows)} rows (${formatInt(table.distinct)} distinct) for ${formatInt(withSink.valid)} valid`,
      );
      pairs.push({ with_sink: withSink, plain, ratio, table });
      removeWorkspace(lanceDir);
    }
    const smallDir = join(lanceRoot, 'small');
    removeWorkspace(smallDir);
    const smallInputs = writeInputs(smallDir, Math.floor((smallRows / CULTURES.length) * 0.8));
    const small = await measure({
      simulator,
      name: 'sinks-small',
      data: smallData.path,
      prompts: smallInputs.prompts,
      configFile: smallInputs.withSink,
      requests: smallRows,
    });
    removeWorkspace(smallDir);

    const medianPair = [...pairs].sort((a, b) => a.ratio - b.ratio)[Math.floor(pairs.length / 2)];
    const bigRss = [...pairs.map((pair) => pair.with_sink.peak_rss_mb)].sort((a, b) => a - b)[1] ?? 0;
    const growth = bigRss / small.peak_rss_mb - 1;
    const exact = pairs.every(
      (pair) => pair.table.rows === pair.with_sink.valid && pair.table.distinct === pair.table.rows,
    );
    const figures = {
      rows,
      every: EVERY,
      pairs,
      ratio: medianPair.ratio,
      ratios: pairs.map((pair) => pair.ratio),
      small,
      peak_rss_mb: { small: small.peak_rss_mb, big: bigRss },
      growth,
      exact,
    };
    log(`sinks figures: ${JSON.stringify(figures)}`);
    const summary =
      `sinks: ${formatInt(rows)} rows, a LanceDB sink every ${String(EVERY)} rows: ${formatInt(medianPair.with_sink.rps)} req/s vs ` +
      `${formatInt(medianPair.plain.rps)} without = ${percent(medianPair.ratio)} (pairs ${pairs.map((pair) => percent(pair.ratio)).join(', ')}) | ` +
      `table = valid rows, no duplicate: ${exact ? 'yes' : 'NO'} | CPU-s ${fixed(medianPair.with_sink.cpu_s, 1)} vs ${fixed(medianPair.plain.cpu_s, 1)} | ` +
      `peak RSS ${fixed(bigRss, 0)} MB at ${formatInt(rows)} rows vs ${fixed(small.peak_rss_mb, 0)} MB at ${formatInt(smallRows)} = ` +
      `${growth >= 0 ? '+' : ''}${percent(growth)} | ${String(cpus().length)} cores`;
    const checks = [
      check(
        'with a LanceDB sink vs without',
        medianPair.ratio >= TARGET_RATIO,
        percent(medianPair.ratio),
        `>= ${percent(TARGET_RATIO)}`,
      ),
      check('table rows = valid answers, no duplicates', exact, exact ? 'yes' : 'no', 'yes'),
      check(
        `peak RSS ${formatInt(smallRows)} -> ${formatInt(rows)} rows`,
        growth <= MAX_GROWTH,
        `${growth >= 0 ? '+' : ''}${percent(growth)}`,
        `<= +${percent(MAX_GROWTH)}`,
      ),
    ];
    return { name: 'sinks', summary, figures, checks };
  } finally {
    await simulator.close();
  }
}

await runIfMain(import.meta.url, run);
