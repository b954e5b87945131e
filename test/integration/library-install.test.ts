import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanEnv, installPackedPackage, run, STEP_TIMEOUT_MS } from '../helpers/install-packed.ts';
import { REPO_ROOT } from '../helpers/run-cli.ts';
import { chatBatchLines, toJsonl } from '../helpers/temp-workspace.ts';

/**
 * Issue 11 section 1: the packed package is a library too. Installed from its tarball into an empty folder (offline,
 * see install-packed.ts), a plain script there imports `batchpilot`, starts the simulator and runs a job; and a
 * TypeScript consumer compiles against the shipped `.d.ts` files alone (through `exports`' `types` condition).
 */

const SCRIPT = `
import { runJob, startSimulator, BatchpilotError } from 'batchpilot';

const sim = await startSimulator({ latencyMs: 5 });
try {
  const result = await runJob({
    input: 'in.jsonl',
    workspace: '.batchpilot',
    jobId: 'installed-1',
    config: { base_url: \`\${sim.url}/v1\`, model: 'gpt-4o-mini', concurrency: 4 },
  });
  let configError = null;
  try {
    await runJob({ input: 'in.jsonl', workspace: '.batchpilot', config: { base_url: \`\${sim.url}/v1\`, concurrency: 'x' } });
  } catch (error) {
    configError = error instanceof BatchpilotError ? { code: error.code, key: error.context.key } : String(error);
  }
  const { jobId, outcome, counts, files, costUsd } = result;
  process.stdout.write(JSON.stringify({ jobId, outcome, counts, files, costUsd, configError }));
} finally {
  await sim.close();
}
`;

let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'batchpilot-library-install-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the installed package as a library', () => {
  it(
    'runs a job from a script importing batchpilot, and type-checks a consumer against the shipped .d.ts',
    { timeout: 150_000 },
    async () => {
      const env = cleanEnv();
      const { install } = await installPackedPackage(dir, env);
      await writeFile(join(install, 'in.jsonl'), toJsonl(chatBatchLines(12)));
      await writeFile(join(install, 'use.mjs'), SCRIPT);
      const job = await run(process.execPath, ['use.mjs'], { cwd: install, env, timeout: STEP_TIMEOUT_MS });
      const result = JSON.parse(job.stdout) as {
        jobId: string;
        outcome: string;
        counts: { succeeded: number; total: number };
        files: Record<string, string>;
        costUsd: number | null;
        configError: unknown;
      };
      assert.equal(result.jobId, 'installed-1', job.stdout + job.stderr);
      assert.equal(result.outcome, 'completed', job.stdout + job.stderr);
      assert.equal(result.counts.succeeded, 12);
      assert.equal(result.counts.total, 12);
      assert.equal(result.files['output'], join(install, '.batchpilot', 'jobs', 'installed-1', 'output.jsonl'));
      assert.equal(typeof result.costUsd, 'number');
      assert.deepEqual(result.configError, { code: 'CONFIG_INVALID', key: 'concurrency' });
      assert.equal(job.stderr, '');

      // The repository's consumer file, compiled where only the installed package (and @types/node) is visible.
      await copyFile(join(REPO_ROOT, 'test', 'consumer', 'use-library.ts'), join(install, 'use-library.ts'));
      await writeFile(
        join(install, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            module: 'nodenext',
            moduleResolution: 'nodenext',
            target: 'ES2022',
            strict: true,
            exactOptionalPropertyTypes: true,
            noEmit: true,
            skipLibCheck: false,
            typeRoots: [join(REPO_ROOT, 'node_modules', '@types')],
            types: ['node'],
          },
          files: ['use-library.ts'],
        }),
      );
      await writeFile(
        join(install, 'package.json'),
        JSON.stringify({ name: 'install-check', private: true, type: 'module' }),
      );
      const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: install, env, timeout: STEP_TIMEOUT_MS }).catch(
        (error: unknown) => {
          const { stdout } = error as { stdout?: string };
          assert.fail(`the consumer does not compile against the shipped types:\n${stdout ?? String(error)}`);
        },
      );
    },
  );
});
