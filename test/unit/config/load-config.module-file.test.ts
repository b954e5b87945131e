import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load-config.ts';
import { BASE_URL, catchConfigError, createConfigFolder } from './config-fixtures.ts';

/**
 * Decision 0012: a config in code. `batchpilot.config.mjs` (or `.js`, or `--config FILE.mjs`) is loaded like
 * `batchpilot.yaml`: its default export is the file's mapping, validated by the same schema with the same errors.
 */

const env = {};

describe('loadConfig: batchpilot.config.mjs', () => {
  it('loads the default export of batchpilot.config.mjs found in the working folder', async () => {
    const folder = await createConfigFolder(
      `export default { base_url: '${BASE_URL}', concurrency: 7, request: { temperature: 0.2 } };\n`,
      'batchpilot.config.mjs',
    );
    const { config } = await loadConfig({ cwd: folder, env, flags: { concurrency: '9' } });
    assert.equal(config.concurrency, 9, 'flags still win over the file');
    assert.equal(config.request.temperature, 0.2);
    assert.equal(config.configFile, join(folder, 'batchpilot.config.mjs'));
  });

  it('loads --config FILE.js, and prefers batchpilot.yaml when both are present', async () => {
    const folder = await createConfigFolder(`base_url: ${BASE_URL}\nconcurrency: 3\n`);
    await writeFile(join(folder, 'other.config.mjs'), `export default { base_url: '${BASE_URL}', concurrency: 11 };\n`);
    const fromFlag = await loadConfig({ cwd: folder, configPath: 'other.config.mjs', env, flags: {} });
    assert.equal(fromFlag.config.concurrency, 11);
    const found = await loadConfig({ cwd: folder, env, flags: {} });
    assert.equal(found.config.concurrency, 3);
  });

  it('names the file and the key of a wrong value (CONFIG_INVALID), as for YAML', async () => {
    const folder = await createConfigFolder(
      `export default { base_url: '${BASE_URL}', concurency: 4 };\n`,
      'batchpilot.config.mjs',
    );
    const error = await catchConfigError(loadConfig({ cwd: folder, env, flags: {} }));
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.equal(error.context.key, 'concurency');
    assert.equal(error.context.file, join(folder, 'batchpilot.config.mjs'));
  });

  it('refuses a default export that is not an object (CONFIG_INVALID) and a file that cannot load (CONFIG_UNREADABLE)', async () => {
    const noObject = await createConfigFolder('export default 42;\n', 'batchpilot.config.mjs');
    const invalid = await catchConfigError(loadConfig({ cwd: noObject, env, flags: {} }));
    assert.equal(invalid.code, 'CONFIG_INVALID');
    assert.equal(invalid.context.file, join(noObject, 'batchpilot.config.mjs'));

    const broken = await createConfigFolder('export default { concurrency: ;\n', 'batchpilot.config.mjs');
    const unreadable = await catchConfigError(loadConfig({ cwd: broken, env, flags: {} }));
    assert.equal(unreadable.code, 'CONFIG_UNREADABLE');
    assert.equal(unreadable.context.file, join(broken, 'batchpilot.config.mjs'));
  });
});
