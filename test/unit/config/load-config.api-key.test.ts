import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fromStoredConfig, loadConfig, toStoredConfig } from '../../../src/config/load-config.ts';
import { knownSecrets } from '../../../src/util/redact.ts';
import { BASE_URL, catchConfigError, createConfigFolder } from './config-fixtures.ts';

const FILE_KEY = 'sk-file0123456789abcdefghij';
const ENV_KEY = 'env-key-0123456789abcdef';

function assertNoKey(text: string, ...keys: string[]): void {
  for (const key of keys) assert.ok(!text.includes(key), `key leaked into: ${text}`);
}

describe('loadConfig: API key', () => {
  it('reads the key from the variable api_key_env names', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\napi_key_env: MY_KEY\n`);
    const { config, warnings } = await loadConfig({ cwd, env: { MY_KEY: ENV_KEY }, flags: {} });
    assert.equal(config.apiKey, ENV_KEY);
    assert.deepEqual(warnings, []);
    assert.ok(knownSecrets().includes(ENV_KEY), 'the key is registered for redaction');
  });

  it('a literal api_key is used and warned about, without the key in the warning', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\napi_key: ${FILE_KEY}\n`);
    const { config, warnings } = await loadConfig({ cwd, env: {}, flags: {} });
    assert.equal(config.apiKey, FILE_KEY);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /batchpilot\.yaml/);
    assert.match(warnings[0] ?? '', /OPENAI_API_KEY/);
    assertNoKey(warnings.join('\n'), FILE_KEY);
  });

  it('the environment wins over a literal api_key', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\napi_key: ${FILE_KEY}\n`);
    const { config, warnings } = await loadConfig({ cwd, env: { OPENAI_API_KEY: ENV_KEY }, flags: {} });
    assert.equal(config.apiKey, ENV_KEY);
    assert.equal(warnings.length, 1, 'still warns that the file holds a key');
    assertNoKey(warnings.join('\n'), FILE_KEY, ENV_KEY);
  });

  it('no key: a warning, not an error (local servers need none); none with --simulate', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\n`);
    const real = await loadConfig({ cwd, env: { OPENAI_API_KEY: '' }, flags: {} });
    assert.equal(real.config.apiKey, null);
    assert.equal(real.warnings.length, 1);
    assert.match(real.warnings[0] ?? '', /OPENAI_API_KEY/);
    const simulated = await loadConfig({ cwd, env: {}, flags: {}, simulate: true });
    assert.equal(simulated.config.apiKey, null);
    assert.deepEqual(simulated.warnings, []);
  });

  it('the key never appears in an error message', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\napi_key: ${FILE_KEY}\nconcurrency: -1\nextra: 1\n`);
    const error = await catchConfigError(loadConfig({ cwd, env: { OPENAI_API_KEY: ENV_KEY }, flags: {} }));
    assert.equal(error.code, 'CONFIG_INVALID');
    assertNoKey(error.message, FILE_KEY, ENV_KEY);
  });

  it('a key in the wrong place is not quoted back', async () => {
    const badKey = 'sk-proj-0123456789abcdefXYZ';
    for (const yaml of [`api_key: [${badKey}]`, `api_key_env: ${badKey}`, `model: { name: ${badKey} }`]) {
      const cwd = await createConfigFolder(`base_url: ${BASE_URL}\n${yaml}\n`);
      const error = await catchConfigError(loadConfig({ cwd, env: {}, flags: {} }));
      assert.equal(error.code, 'CONFIG_INVALID', yaml);
      assertNoKey(error.message, badKey);
    }
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\n`);
    const error = await catchConfigError(loadConfig({ cwd, env: {}, flags: { set: [`api_key=${badKey}`, 'x=1'] } }));
    assertNoKey(error.message, badKey);
  });
});

describe('ResolvedConfig', () => {
  it('is deeply frozen', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\nrequest: { extra_body: { stop: ["x"] } }\n`);
    const { config } = await loadConfig({ cwd, env: {}, flags: {} });
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.retry));
    assert.ok(Object.isFrozen(config.request.extra_body));
    assert.ok(Object.isFrozen(config.request.extra_body?.['stop']));
    assert.throws(() => {
      (config as { concurrency: number }).concurrency = 1;
    }, TypeError);
  });

  it('has every default filled in', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\n`);
    const { config } = await loadConfig({ cwd, env: {}, flags: {} });
    assert.deepEqual(
      { ...config },
      {
        provider: 'openai',
        mode: 'realtime',
        base_url: BASE_URL,
        api_key_env: 'OPENAI_API_KEY',
        request: {},
        input: { format: 'auto', messages_key: 'messages', max_line_bytes: 10_485_760 },
        limit: 0,
        concurrency: 32,
        rate_limit: { rpm: 0, tpm: 0 },
        retry: { max_attempts: 4, base_delay_ms: 500, max_delay_ms: 60_000 },
        timeout_ms: 600_000,
        max_response_bytes: 67_108_864,
        idle_timeout_ms: 60_000,
        output: { order: 'input' },
        outage: {},
        chunk: {},
        poll_interval_s: 30,
        batch: { dialect: 'auto', max_concurrent: 3, max_enqueued_tokens: 0, completion_window: '24h' },
        limits: { max_items: 0, concurrency: 0, max_jobs: 4, budget_usd: 0 },
        prices: {},
        scheduler: { max_concurrency: 256, idle_exit_s: 30 },
        command: { targets: {} },
        configFile: join(cwd, 'batchpilot.yaml'),
        apiKey: null,
        simulate: false,
        proxy: null,
      },
    );
  });
});

describe('toStoredConfig / fromStoredConfig', () => {
  it('stores no key: apiKey dropped, api_key as ***', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\napi_key: ${FILE_KEY}\n`);
    const { config } = await loadConfig({ cwd, env: { OPENAI_API_KEY: ENV_KEY }, flags: {} });
    const stored = toStoredConfig(config);
    const json = JSON.stringify(stored);
    assertNoKey(json, FILE_KEY, ENV_KEY);
    assert.equal(stored['api_key'], '***');
    assert.equal('apiKey' in stored, false);
    assert.equal(stored['configFile'], join(cwd, 'batchpilot.yaml'));
  });

  it('rebuilds the config on resume, the key read again from the environment', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\nconcurrency: 5\n`);
    const { config } = await loadConfig({ cwd, env: { OPENAI_API_KEY: ENV_KEY }, flags: {} });
    const stored = JSON.parse(JSON.stringify(toStoredConfig(config))) as Record<string, unknown>;
    const resumed = await fromStoredConfig(stored, { env: { OPENAI_API_KEY: ENV_KEY }, flags: { concurrency: '2' } });
    assert.deepEqual({ ...resumed.config }, { ...config, concurrency: 2 });
    assert.ok(Object.isFrozen(resumed.config));
  });

  it('re-reads a literal api_key from the original config file', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\napi_key: ${FILE_KEY}\n`);
    const { config } = await loadConfig({ cwd, env: {}, flags: {} });
    const stored = toStoredConfig(config);
    const resumed = await fromStoredConfig(stored, { env: {} });
    assert.equal(resumed.config.apiKey, FILE_KEY);
    assert.equal(resumed.config.api_key, FILE_KEY);
    assertNoKey(resumed.warnings.join('\n'), FILE_KEY);
  });

  it('API_KEY_MISSING when that file is gone and the environment has no key', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\napi_key: ${FILE_KEY}\n`);
    const { config } = await loadConfig({ cwd, env: {}, flags: {} });
    const stored = toStoredConfig(config);
    await rm(join(cwd, 'batchpilot.yaml'));
    const error = await catchConfigError(fromStoredConfig(stored, { env: {} }));
    assert.equal(error.code, 'API_KEY_MISSING');
    const withEnv = await fromStoredConfig(stored, { env: { OPENAI_API_KEY: ENV_KEY } });
    assert.equal(withEnv.config.apiKey, ENV_KEY);
  });

  it('re-validates stored values', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\n`);
    await writeFile(join(cwd, 'unused'), '');
    const { config } = await loadConfig({ cwd, env: {}, flags: {} });
    const stored = { ...toStoredConfig(config), concurrency: 0 };
    const error = await catchConfigError(fromStoredConfig(stored, { env: {} }));
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.equal(error.context.key, 'concurrency');
  });
});
