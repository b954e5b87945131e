import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createSink } from '../../src/sinks/create-sink.ts';
import type { SinkBatch } from '../../src/sinks/sink.ts';
import { createTempWorkspace, type TempWorkspace } from '../helpers/temp-workspace.ts';

/** Issue 13 section 2: one part file per batch, named by its number, written whole; a replay rewrites the same bytes. */
describe('JsonlPartsSink', () => {
  const workspaces: TempWorkspace[] = [];
  after(async () => Promise.all(workspaces.map((workspace) => workspace.remove())));

  const batch = (batchNo: number, ids: number[]): SinkBatch => ({
    batchNo,
    rows: ids.map((id) => ({ key: String(id), row: { id, text: `row ${String(id)}`, nested: { a: id } } })),
  });

  it('writes part-000001.jsonl per batch, no temp file left, a replay gives the same bytes', async () => {
    const workspace = await createTempWorkspace('batchpilot-jsonl-');
    workspaces.push(workspace);
    const sink = await createSink(
      { type: 'jsonl', name: 'parts', dir: './parts', rows: 'valid', every: 2 },
      { jobId: 'job-1', cwd: workspace.dir, rowSchema: { sourceFields: [], prompts: [] } },
    );
    await sink.open();
    await sink.write(batch(1, [1, 2]));
    await sink.write(batch(2, [3]));
    const dir = join(workspace.dir, 'parts');
    const first = await readFile(join(dir, 'part-000001.jsonl'));
    await sink.write(batch(1, [1, 2]));
    await sink.close();
    assert.deepEqual(await readdir(dir), ['part-000001.jsonl', 'part-000002.jsonl']);
    assert.deepEqual(await readFile(join(dir, 'part-000001.jsonl')), first);
    const lines = first
      .toString()
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
    assert.deepEqual(lines, [
      { id: 1, text: 'row 1', nested: { a: 1 } },
      { id: 2, text: 'row 2', nested: { a: 2 } },
    ]);
  });

  it('writes only the projected fields, dotted paths included', async () => {
    const workspace = await createTempWorkspace('batchpilot-jsonl-');
    workspaces.push(workspace);
    const sink = await createSink(
      { type: 'jsonl', name: 'parts', dir: 'out', rows: 'valid', every: 2, fields: ['id', 'nested.a'] },
      { jobId: 'job-1', cwd: workspace.dir, rowSchema: { sourceFields: [], prompts: [] } },
    );
    await sink.open();
    await sink.write(batch(7, [5]));
    const text = await readFile(join(workspace.dir, 'out', 'part-000007.jsonl'), 'utf8');
    assert.deepEqual(JSON.parse(text), { id: 5, 'nested.a': 5 });
  });
});
