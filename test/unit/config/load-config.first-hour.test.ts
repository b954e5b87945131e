import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load-config.ts';
import { findCapViolations, NO_APPROVALS } from '../../../src/plan/check-safety-caps.ts';
import { BASE_URL, catchConfigError, createConfigFolder } from './config-fixtures.ts';

/** Issue 10 section 6, "limits and exit codes": config mistakes a new user makes in the first hour, or does not make. */
describe('loadConfig: the first hour', () => {
  it('an unrelated BATCHPILOT_ variable far from every key is ignored', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\n`);
    const { config } = await loadConfig({ cwd, env: { BATCHPILOT_DEBUG: '1', BATCHPILOT_HOME: '/x' }, flags: {} });
    assert.equal(config.concurrency, 32);
  });

  it('a BATCHPILOT_ variable close to a key is still CONFIG_INVALID', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\n`);
    const error = await catchConfigError(loadConfig({ cwd, env: { BATCHPILOT_MODLE: 'x' }, flags: {} }));
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.equal(error.context.key, 'modle');
  });

  it('limits.concurrency under the default concurrency lowers the default instead of refusing every run', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\nlimits: { concurrency: 16 }\n`);
    const { config } = await loadConfig({ cwd, env: {}, flags: {} });
    assert.equal(config.concurrency, 16);
    assert.deepEqual(findCapViolations(config, {}, NO_APPROVALS), []);
  });

  it('an explicit concurrency over limits.concurrency still needs its approval', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\nlimits: { concurrency: 16 }\n`);
    const { config } = await loadConfig({ cwd, env: {}, flags: { concurrency: '32' } });
    assert.equal(config.concurrency, 32);
    const [violation] = findCapViolations(config, {}, NO_APPROVALS);
    assert.equal(violation?.code, 'CONCURRENCY_REQUIRES_APPROVAL');
  });

  it('--api-key-env naming an unset variable is API_KEY_MISSING naming the flag', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\n`);
    const error = await catchConfigError(loadConfig({ cwd, env: {}, flags: { apiKeyEnv: 'MY_UNSET_KEY' } }));
    assert.equal(error.code, 'API_KEY_MISSING');
    assert.equal(error.context.flag, '--api-key-env');
    assert.equal(error.context.key, 'api_key_env');
  });

  it('api_key_env in the file naming an unset variable is API_KEY_MISSING too', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\napi_key_env: MY_UNSET_KEY\n`);
    const error = await catchConfigError(loadConfig({ cwd, env: {}, flags: {} }));
    assert.equal(error.code, 'API_KEY_MISSING');
  });

  it('an unset named variable is fine with --simulate and for provider: command', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\n`);
    await loadConfig({ cwd, env: {}, flags: { apiKeyEnv: 'MY_UNSET_KEY' }, simulate: true });
    const commandCwd = await createConfigFolder('provider: command\napi_key_env: MY_UNSET_KEY\n');
    await loadConfig({ cwd: commandCwd, env: {}, flags: {} });
  });
});
