import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load-config.ts';
import { BASE_URL, catchConfigError, createConfigFolder } from './config-fixtures.ts';

async function loadFrom(yaml: string, env: Record<string, string> = {}) {
  const cwd = await createConfigFolder(yaml);
  return { cwd, promise: loadConfig({ cwd, env, flags: {} }) };
}

describe('loadConfig: the four cases SPEC §4 names give CONFIG_INVALID naming key and file', () => {
  it('a typo of a key', async () => {
    const { cwd, promise } = await loadFrom(`base_url: ${BASE_URL}\nconcurency: 8\n`);
    const error = await catchConfigError(promise);
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.equal(error.context.key, 'concurency');
    assert.equal(error.context.file, join(cwd, 'batchpilot.yaml'));
    assert.match(error.message, /batchpilot\.yaml/);
    assert.match(error.message, /"concurency"/);
    assert.match(error.message, /"concurrency"/, 'suggests the closest key');
  });

  it('temperature: "0.6" (a number written as a string)', async () => {
    const { cwd, promise } = await loadFrom(`base_url: ${BASE_URL}\nrequest:\n  temperature: "0.6"\n`);
    const error = await catchConfigError(promise);
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.equal(error.context.key, 'request.temperature');
    assert.equal(error.context.file, join(cwd, 'batchpilot.yaml'));
    assert.match(error.message, /batchpilot\.yaml/);
    assert.match(error.message, /request\.temperature/);
  });

  it('a negative concurrency', async () => {
    const { cwd, promise } = await loadFrom(`base_url: ${BASE_URL}\nconcurrency: -4\n`);
    const error = await catchConfigError(promise);
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.equal(error.context.key, 'concurrency');
    assert.equal(error.context.file, join(cwd, 'batchpilot.yaml'));
    assert.match(error.message, /batchpilot\.yaml/);
    assert.match(error.message, /"concurrency"/);
  });

  it('a missing base_url', async () => {
    const { cwd, promise } = await loadFrom('concurrency: 4\n');
    const error = await catchConfigError(promise);
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.equal(error.context.key, 'base_url');
    assert.equal(error.context.file, join(cwd, 'batchpilot.yaml'));
    assert.match(error.message, /batchpilot\.yaml/);
    assert.match(error.message, /base_url/);
  });
});

describe('loadConfig: other invalid values', () => {
  it('reports every problem, one line each, context from the first', async () => {
    const { promise } = await loadFrom(`base_url: ${BASE_URL}\nconcurrency: 0\nretry: { max_attempts: 0 }\n`);
    const error = await catchConfigError(promise);
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.equal(error.context.key, 'concurrency');
    assert.equal(error.message.split('\n').length, 2);
  });

  it('rejects unknown keys at nested levels too (strict everywhere)', async () => {
    for (const [yaml, key] of [
      ['request: { temprature: 1 }', 'request.temprature'],
      ['input: { fromat: auto }', 'input.fromat'],
      ['rate_limit: { rps: 1 }', 'rate_limit.rps'],
      ['retry: { attempts: 1 }', 'retry.attempts'],
      ['output: { ordr: input }', 'output.ordr'],
      ['chunk: { bytes: 1 }', 'chunk.bytes'],
    ] as const) {
      const { promise } = await loadFrom(`base_url: ${BASE_URL}\n${yaml}\n`);
      const error = await catchConfigError(promise);
      assert.equal(error.code, 'CONFIG_INVALID', yaml);
      assert.equal(error.context.key, key, yaml);
    }
  });

  it('rejects provider: anthropic in realtime mode, naming mode and the fix', async () => {
    const { promise } = await loadFrom(`base_url: ${BASE_URL}\nprovider: anthropic\n`);
    const error = await catchConfigError(promise);
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.equal(error.context.key, 'mode');
    assert.match(error.message, /mode: batch/);
  });

  it('reads the key of provider: anthropic from ANTHROPIC_API_KEY unless api_key_env says otherwise', async () => {
    const { promise } = await loadFrom(`base_url: ${BASE_URL}\nprovider: anthropic\nmode: batch\n`, {
      ANTHROPIC_API_KEY: 'sk-ant-test-key-123456',
    });
    const { config } = await promise;
    assert.equal(config.api_key_env, 'ANTHROPIC_API_KEY');
    assert.equal(config.apiKey, 'sk-ant-test-key-123456');
  });

  it('rejects a base_url that is not http(s)', async () => {
    const { promise } = await loadFrom('base_url: ftp://example.com/v1\n');
    const error = await catchConfigError(promise);
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.equal(error.context.key, 'base_url');
  });

  it('rejects retry.base_delay_ms above retry.max_delay_ms', async () => {
    const { promise } = await loadFrom(`base_url: ${BASE_URL}\nretry: { base_delay_ms: 5000, max_delay_ms: 1000 }\n`);
    const error = await catchConfigError(promise);
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.equal(error.context.key, 'retry.base_delay_ms');
  });

  it('rejects a top level that is not a mapping', async () => {
    const { promise } = await loadFrom('- concurrency: 4\n');
    const error = await catchConfigError(promise);
    assert.equal(error.code, 'CONFIG_INVALID');
  });

  it('does not require base_url with --simulate', async () => {
    const cwd = await createConfigFolder('concurrency: 4\n');
    const { config } = await loadConfig({ cwd, env: {}, flags: {}, simulate: true });
    assert.equal(config.base_url, undefined);
    assert.equal(config.simulate, true);
  });
});

describe('loadConfig: unreadable files', () => {
  it('a YAML syntax error is CONFIG_UNREADABLE with file:line:col', async () => {
    const { cwd, promise } = await loadFrom(`base_url: ${BASE_URL}\nrequest: { max_tokens: 5\nconcurrency: 4\n`);
    const error = await catchConfigError(promise);
    assert.equal(error.code, 'CONFIG_UNREADABLE');
    assert.equal(error.context.file, join(cwd, 'batchpilot.yaml'));
    assert.equal(typeof error.context.line, 'number');
    assert.match(error.message, /^batchpilot\.yaml:\d+:\d+: /);
  });

  it('a duplicate key is CONFIG_UNREADABLE', async () => {
    const { promise } = await loadFrom(`base_url: ${BASE_URL}\nconcurrency: 4\nconcurrency: 5\n`);
    const error = await catchConfigError(promise);
    assert.equal(error.code, 'CONFIG_UNREADABLE');
  });

  it('a missing --config file is CONFIG_UNREADABLE naming the path', async () => {
    const cwd = await createConfigFolder();
    const error = await catchConfigError(loadConfig({ cwd, configPath: 'nope.yaml', env: {}, flags: {} }));
    assert.equal(error.code, 'CONFIG_UNREADABLE');
    assert.equal(error.context.file, join(cwd, 'nope.yaml'));
    assert.equal(error.context.flag, '--config');
    assert.match(error.message, /nope\.yaml/);
  });

  it('reads --config FILE instead of batchpilot.yaml, and batchpilot.yml when it is the only one', async () => {
    const cwd = await createConfigFolder('concurrency: 2\n');
    const other = join(cwd, 'other.yaml');
    await writeFile(other, `base_url: ${BASE_URL}\nconcurrency: 3\n`);
    const explicit = await loadConfig({ cwd, configPath: 'other.yaml', env: {}, flags: {} });
    assert.equal(explicit.config.concurrency, 3);
    assert.equal(explicit.config.configFile, other);

    const ymlFolder = await createConfigFolder(`base_url: ${BASE_URL}\nconcurrency: 5\n`, 'batchpilot.yml');
    const yml = await loadConfig({ cwd: ymlFolder, env: {}, flags: {} });
    assert.equal(yml.config.concurrency, 5);
    assert.equal(yml.config.configFile, join(ymlFolder, 'batchpilot.yml'));
  });

  it('works with no config file at all when flags give base_url', async () => {
    const cwd = await createConfigFolder();
    const { config } = await loadConfig({ cwd, env: {}, flags: { baseUrl: BASE_URL } });
    assert.equal(config.configFile, null);
    assert.equal(config.base_url, BASE_URL);
  });
});
