import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

// The dependency rules of docs/architecture.md, probed through the project's own eslint.config.js: each probe is a
// small file linted as if it sat in a folder of src/. Probes are not on disk, so type-aware rules (which need the
// file in the TypeScript project) are switched off for them; the import allowlist needs no types.
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const eslint = new ESLint({
  cwd: ROOT,
  overrideConfig: [
    tseslint.configs.disableTypeChecked,
    { languageOptions: { parserOptions: { projectService: false, project: false } } },
  ],
});

/** The messageIds the import allowlist reports for `text` linted as `file` (a path under src/). */
async function importProblems(file: string, text: string): Promise<string[]> {
  const [result] = await eslint.lintText(text, { filePath: `${ROOT}/${file}` });
  assert.ok(result);
  const other = result.messages.filter((message) => message.ruleId !== 'batchpilot/allowed-imports');
  assert.deepEqual(other, [], `${file} has problems other than imports`);
  return result.messages.map((message) => message.messageId ?? '');
}

describe('import allowlist (eslint.config.js)', () => {
  it('refuses the engine a concrete provider, a concrete store and the store factory', async () => {
    const cases = [
      "import { OpenAIBatchProvider } from '../providers/openai/openai-batch-provider.ts';",
      "import { openDatabase } from '../../store/sqlite/open-database.ts';",
      "import { createStore } from '../store/create-store.ts';",
    ];
    assert.deepEqual(
      await importProblems('src/engine/probe.ts', `${cases[0]}\nexport const x = OpenAIBatchProvider;\n`),
      ['notAllowed'],
    );
    assert.deepEqual(
      await importProblems('src/engine/batch/probe.ts', `${cases[1]}\nexport const x = openDatabase;\n`),
      ['notAllowed'],
    );
    assert.deepEqual(await importProblems('src/engine/probe.ts', `${cases[2]}\nexport const x = createStore;\n`), [
      'notAllowed',
    ]);
  });

  it('refuses plan/ the engine, in a static import, a re-export and an import()', async () => {
    const text = [
      "import { runJob } from '../engine/run-job.ts';",
      "export { finalizeJob } from '../engine/finalize-job.ts';",
      "export const load = () => import('../engine/lease.ts');",
      'export const x = runJob;',
      '',
    ].join('\n');
    assert.deepEqual(await importProblems('src/plan/probe.ts', text), ['notAllowed', 'notAllowed', 'notAllowed']);
  });

  it('refuses a folder that is not in the allowlist any import from the rest of src/', async () => {
    const text =
      "import { hashLine } from '../input/hash-line.ts';\nimport { b } from './b.ts';\nexport const x = [hashLine, b];\n";
    assert.deepEqual(await importProblems('src/new-stage/probe.ts', text), ['unlisted']);
  });

  it('lets the engine use the contracts and the stages it drives', async () => {
    const text = [
      "import type { Store } from '../../store/store.ts';",
      "import type { BatchProvider } from '../../providers/provider.ts';",
      "import { parseInputLine } from '../../input/parse-input-line.ts';",
      "import { JOB_STATES } from '../../core/states.ts';",
      'export type X = Store | BatchProvider;',
      'export const y = [parseInputLine, JOB_STATES];',
      '',
    ].join('\n');
    assert.deepEqual(await importProblems('src/engine/batch/probe.ts', text), []);
  });
});
