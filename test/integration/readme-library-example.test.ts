import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../helpers/run-cli.ts';

/**
 * The README's "Use it from TypeScript" example must run as written: it is taken from the README, its
 * `'batchpilot'` import pointed at this checkout's src/index.ts, and run with tsx from an empty folder.
 */

const run = promisify(execFile);
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'batchpilot-readme-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readmeExample(): Promise<string> {
  const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use it from TypeScript'));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  assert.ok(match?.[1] !== undefined, 'the README has a ts example under "Use it from TypeScript"');
  return match[1];
}

describe('README: Use it from TypeScript', () => {
  it('runs the example as written', { timeout: 60_000 }, async () => {
    const example = await readmeExample();
    assert.match(example, /from 'batchpilot';/);
    const entry = pathToFileURL(join(REPO_ROOT, 'src', 'index.ts')).href;
    await writeFile(join(dir, 'example.mts'), example.replace("from 'batchpilot';", `from '${entry}';`));
    const env = { ...process.env };
    delete env['NODE_TEST_CONTEXT'];
    const { stdout } = await run(
      process.execPath,
      ['--import', pathToFileURL(join(REPO_ROOT, 'node_modules/tsx/dist/esm/index.mjs')).href, 'example.mts'],
      {
        cwd: dir,
        env,
        timeout: 50_000,
      },
    );
    const [outcome, succeeded, output] = stdout.trim().split(' ');
    assert.equal(outcome, 'completed', stdout);
    assert.equal(succeeded, '2', stdout);
    assert.equal(output, join(dir, '.batchpilot', 'jobs', 'nightly-1', 'output.jsonl'));
    await access(output);
  });
});
