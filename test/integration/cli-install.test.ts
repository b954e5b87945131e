import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../helpers/run-cli.ts';
import { chatBatchLines, toJsonl } from '../helpers/temp-workspace.ts';

/**
 * Issue 10 section 6, "install": the packed package works installed outside the repository. The test packs it
 * (`npm pack`, which builds dist/), installs the tarball into an empty folder and runs `batchpilot --version` and a
 * small `--simulate` job from another empty folder, through the installed bin.
 *
 * Offline, so CI needs no network: the registry's metadata is not in the npm cache after `npm ci` (only the tarballs,
 * by integrity), so the install runs `npm ci --offline` against a lockfile made of the repository's own lock entries
 * for the production dependencies, plus the tarball. `--ignore-scripts` skips compiling better-sqlite3 again (over a
 * minute, and node-gyp would want the network for Node's headers); its module built by the repository's `npm ci` is
 * copied in instead, as a prebuilt binary would be.
 */

const run = promisify(execFile);
const STEP_TIMEOUT_MS = 50_000;

/** The parent's environment without npm's own `npm_*` settings (a parent `npm test` sets them) or our config. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('npm_') || name.startsWith('BATCHPILOT_') || name === 'NODE_TEST_CONTEXT') continue;
    env[name] = value;
  }
  return env;
}

interface PackageJson {
  version: string;
  dependencies: Record<string, string>;
  bin: Record<string, string>;
}

interface LockEntry {
  dev?: boolean;
  link?: boolean;
  [key: string]: unknown;
}

let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'batchpilot-install-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('install from a packed tarball', () => {
  it('runs --version and a --simulate job from an empty folder', { timeout: 120_000 }, async () => {
    const env = cleanEnv();
    const packed = await run('npm', ['pack', '--pack-destination', dir, '--silent'], {
      cwd: REPO_ROOT,
      env,
      timeout: STEP_TIMEOUT_MS,
    });
    const tarball = packed.stdout.trim().split('\n').at(-1) ?? '';
    assert.match(tarball, /^batchpilot-.*\.tgz$/, packed.stderr);

    const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as PackageJson;
    const repoLock = JSON.parse(await readFile(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, LockEntry>;
    };
    const install = join(dir, 'install');
    await mkdir(install);
    await copyFile(join(dir, tarball), join(install, tarball));
    const integrity = `sha512-${createHash('sha512')
      .update(await readFile(join(install, tarball)))
      .digest('base64')}`;
    const packages: Record<string, unknown> = {
      '': { dependencies: { batchpilot: `file:${tarball}` } },
      'node_modules/batchpilot': {
        version: pkg.version,
        resolved: `file:${tarball}`,
        integrity,
        dependencies: pkg.dependencies,
        bin: pkg.bin,
      },
    };
    for (const [path, entry] of Object.entries(repoLock.packages)) {
      if (path !== '' && entry.dev !== true && entry.link !== true) packages[path] = entry;
    }
    const manifest = { name: 'install-check', private: true, dependencies: { batchpilot: `file:${tarball}` } };
    await writeFile(join(install, 'package.json'), JSON.stringify(manifest));
    await writeFile(
      join(install, 'package-lock.json'),
      JSON.stringify({ name: 'install-check', lockfileVersion: 3, requires: true, packages }),
    );
    await run('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: install,
      env,
      timeout: STEP_TIMEOUT_MS,
    }).catch((error: unknown) => {
      const { stderr } = error as { stderr?: string };
      throw new Error(
        `npm ci --offline failed (is the npm cache filled by "npm ci" in the repository?)\n${stderr ?? ''}`,
      );
    });
    const release = 'node_modules/better-sqlite3/build/Release';
    await mkdir(join(install, release), { recursive: true });
    await copyFile(join(REPO_ROOT, release, 'better_sqlite3.node'), join(install, release, 'better_sqlite3.node'));

    const bin = join(install, 'node_modules', '.bin', 'batchpilot');
    const elsewhere = join(dir, 'elsewhere');
    await mkdir(elsewhere);
    const version = await run(bin, ['--version'], { cwd: elsewhere, env, timeout: STEP_TIMEOUT_MS });
    assert.equal(version.stdout.trim(), pkg.version);

    await writeFile(join(elsewhere, 'in.jsonl'), toJsonl(chatBatchLines(10)));
    const job = await run(bin, ['--json', 'run', 'in.jsonl', '--simulate', '--no-progress'], {
      cwd: elsewhere,
      env,
      timeout: STEP_TIMEOUT_MS,
    });
    const result = JSON.parse(job.stdout.trim().split('\n').at(-1) ?? '{}') as {
      outcome: string;
      report: { counts: { succeeded: number }; files: Record<string, string> };
    };
    assert.equal(result.outcome, 'completed', job.stdout + job.stderr);
    assert.equal(result.report.counts.succeeded, 10, job.stdout + job.stderr);
    assert.ok(result.report.files['output']?.startsWith(join(elsewhere, '.batchpilot')), job.stdout);
  });
});
