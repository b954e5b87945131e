import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { peakRssEnv, readPeakRss } from '../helpers/peak-rss.ts';
import { describeResult, runCli } from '../helpers/run-cli.ts';
import { createTempWorkspace, type TempWorkspace } from '../helpers/temp-workspace.ts';

/**
 * Issue 12 section 1: a JSON array of 200 MB is streamed, never held whole. The peak RSS of `prepare` on it is
 * compared with a 2 MB array: JSON.parse of the big one alone would add well over 400 MB (the text plus its objects);
 * streamed, the difference is the garbage collector's slack (about 70 MB measured), bounded by half the file.
 */

const MB = 1_000_000;

async function writeJsonArray(path: string, bytes: number): Promise<number> {
  const out = createWriteStream(path);
  const filler = 'x'.repeat(1_900);
  let written = 0;
  let rows = 0;
  out.write('[\n');
  while (written < bytes) {
    const line = `${rows === 0 ? '' : ',\n'}${JSON.stringify({ id: `r${String(rows)}`, lang: rows % 2 === 0 ? 'zh' : 'en', body: filler, nested: { n: rows } })}`;
    written += line.length;
    rows += 1;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end('\n]\n');
  await once(out, 'finish');
  return rows;
}

describe('prepare streams a 200 MB JSON array with flat memory', () => {
  let temp: TempWorkspace;
  before(async () => {
    temp = await createTempWorkspace('batchpilot-prepare-memory-');
    await temp.write(
      'prompts.yaml',
      'prompts:\n  p:\n    text: "{{ id }} {{ row.nested.n }}"\n    when: "row.lang == \'zh\'"\n',
    );
  });
  after(() => temp.remove());

  async function peakFor(name: string, bytes: number): Promise<{ peak: number; rows: number }> {
    const rows = await writeJsonArray(temp.path(`${name}.json`), bytes);
    const rssFile = temp.path(`${name}.rss`);
    const result = await runCli(
      ['--json', 'prepare', `${name}.json`, '--prompts', 'prompts.yaml', '--out', `${name}/requests.jsonl`],
      { cwd: temp.dir, env: peakRssEnv(rssFile) },
    );
    assert.equal(result.code, 0, describeResult(result));
    const summary = JSON.parse(result.stdout) as { counts: { rows: number; requests: number } };
    assert.deepEqual([summary.counts.rows, summary.counts.requests], [rows, Math.ceil(rows / 2)]);
    return { peak: await readPeakRss(rssFile), rows };
  }

  it('peaks within half the file size of a 2 MB run', async (context) => {
    const small = await peakFor('small', 2 * MB);
    const big = await peakFor('big', 200 * MB);
    assert.ok((await stat(temp.path('big.json'))).size >= 200 * MB);
    const growth = big.peak - small.peak;
    context.diagnostic(
      `peak RSS ${String(Math.round(small.peak / MB))} MB for 2 MB, ${String(Math.round(big.peak / MB))} MB for 200 MB`,
    );
    assert.ok(
      growth < 100 * MB,
      `peak RSS ${String(Math.round(small.peak / MB))} MB (${String(small.rows)} rows) -> ${String(Math.round(big.peak / MB))} MB (${String(big.rows)} rows): grew ${String(Math.round(growth / MB))} MB`,
    );
  });
});
