import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

/**
 * Issue 13 section 2: `@lancedb/lancedb` is optional; without it, creating a LanceDB sink fails with
 * SINK_DEPENDENCY_MISSING naming the install command, before anything is sent. A child process whose resolver hides
 * the package stands for a machine without it.
 */
describe('a LanceDB sink without @lancedb/lancedb installed', () => {
  it('fails with SINK_DEPENDENCY_MISSING and the install command', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const script = `
      const { createSink } = await import(${JSON.stringify(`${root}src/sinks/create-sink.ts`)});
      try {
        await createSink(
          { type: 'lancedb', name: 'l', uri: './db', table: 't', rows: 'valid', every: 1, optimize_every: 0 },
          { jobId: 'j', cwd: '.', rowSchema: { sourceFields: [], prompts: [] } },
        );
        console.log(JSON.stringify({ code: 'none' }));
      } catch (error) {
        console.log(JSON.stringify({ code: error.code, message: error.message }));
      }`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--import', `${root}test/helpers/hide-lancedb.mjs`, '--input-type=module', '-e', script],
      { cwd: root },
    );
    const result = JSON.parse(stdout.trim()) as { code: string; message: string };
    assert.equal(result.code, 'SINK_DEPENDENCY_MISSING', stdout);
    assert.ok(result.message.includes('npm i -E @lancedb/lancedb@0.31.0 apache-arrow@18.1.0'), result.message);
  });
});
