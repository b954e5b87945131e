import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './run-cli.ts';

/**
 * Packs the repository (`npm pack`, which builds dist/) and installs the tarball into `<dir>/install`, offline, so CI
 * needs no network: the registry's metadata is not in the npm cache after `npm ci` (only the tarballs, by
 * integrity), so the install runs `npm ci --offline` against a lockfile made of the repository's own lock entries for
 * the production dependencies, plus the tarball. `--ignore-scripts` skips compiling better-sqlite3 again (over a
 * minute, and node-gyp would want the network for Node's headers); its module built by the repository's `npm ci` is
 * copied in instead, as a prebuilt binary would be.
 */

export const run = promisify(execFile);
export const STEP_TIMEOUT_MS = 50_000;

/** The parent's environment without npm's own `npm_*` settings (a parent `npm test` sets them) or our config. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('npm_') || name.startsWith('BATCHPILOT_') || name === 'NODE_TEST_CONTEXT') continue;
    env[name] = value;
  }
  return env;
}

export interface PackageJson {
  version: string;
  dependencies: Record<string, string>;
  bin: Record<string, string>;
}

interface LockEntry {
  dev?: boolean;
  link?: boolean;
  [key: string]: unknown;
}

export interface InstalledPackage {
  /** `<dir>/install`: its node_modules holds batchpilot and its production dependencies. */
  install: string;
  pkg: PackageJson;
}

export async function installPackedPackage(dir: string, env: NodeJS.ProcessEnv): Promise<InstalledPackage> {
  const packed = await run('npm', ['pack', '--pack-destination', dir, '--silent'], {
    cwd: REPO_ROOT,
    env,
    timeout: STEP_TIMEOUT_MS,
  });
  const tarball = packed.stdout.trim().split('\n').at(-1) ?? '';
  if (!/^batchpilot-.*\.tgz$/.test(tarball)) throw new Error(`npm pack printed no tarball name\n${packed.stderr}`);

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
  return { install, pkg };
}
