import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load-config.ts';
import { BASE_URL, catchConfigError, createConfigFolder } from './config-fixtures.ts';

describe('loadConfig: precedence flags > env > file > defaults', () => {
  it('file over defaults', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\nconcurrency: 7\n`);
    const { config } = await loadConfig({ cwd, env: {}, flags: {} });
    assert.equal(config.concurrency, 7);
    assert.equal(config.timeout_ms, 600_000, 'keys the file does not set keep their defaults');
  });

  it('env over file', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\nconcurrency: 7\n`);
    const { config } = await loadConfig({ cwd, env: { BATCHPILOT_CONCURRENCY: '9' }, flags: {} });
    assert.equal(config.concurrency, 9);
  });

  it('flags over env', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\n`);
    const { config } = await loadConfig({ cwd, env: { BATCHPILOT_CONCURRENCY: '9' }, flags: { concurrency: '11' } });
    assert.equal(config.concurrency, 11);
  });

  it('flags over file', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\nrate_limit: { rpm: 60, tpm: 1000 }\n`);
    const { config } = await loadConfig({ cwd, env: {}, flags: { rpm: '120' } });
    assert.deepEqual(config.rate_limit, { rpm: 120, tpm: 1000 }, 'one nested key overridden, its sibling kept');
  });

  it('env over defaults', async () => {
    const cwd = await createConfigFolder();
    const { config } = await loadConfig({ cwd, env: { BATCHPILOT_BASE_URL: BASE_URL }, flags: {} });
    assert.equal(config.base_url, BASE_URL);
  });

  it('maps every typed flag to its key', async () => {
    const cwd = await createConfigFolder();
    const { config } = await loadConfig({
      cwd,
      // A variable named by --api-key-env must be set (API_KEY_MISSING otherwise).
      env: { MY_KEY: 'sk-layers-0123456789' },
      flags: {
        baseUrl: BASE_URL,
        model: 'm-1',
        concurrency: '3',
        limit: '10',
        rpm: '60',
        tpm: '6000',
        maxAttempts: '2',
        timeoutMs: 5000,
        format: 'messages',
        messagesKey: 'chat',
        apiKeyEnv: 'MY_KEY',
        order: 'completion',
      },
    });
    assert.equal(config.base_url, BASE_URL);
    assert.equal(config.model, 'm-1');
    assert.equal(config.concurrency, 3);
    assert.equal(config.limit, 10);
    assert.deepEqual(config.rate_limit, { rpm: 60, tpm: 6000 });
    assert.equal(config.retry.max_attempts, 2);
    assert.equal(config.timeout_ms, 5000);
    assert.equal(config.input.format, 'messages');
    assert.equal(config.input.messages_key, 'chat');
    assert.equal(config.api_key_env, 'MY_KEY');
    assert.equal(config.output.order, 'completion');
  });
});

describe('loadConfig: BATCHPILOT_* environment', () => {
  it('maps nested keys with a double underscore and parses values as YAML scalars', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\n`);
    const { config } = await loadConfig({
      cwd,
      env: {
        BATCHPILOT_RATE_LIMIT__RPM: '500',
        BATCHPILOT_REQUEST__MAX_TOKENS: '256',
        BATCHPILOT_REQUEST__TEMPERATURE: '0.5',
        BATCHPILOT_REQUEST__EXTRA_BODY: '{ stop: ["\\n"] }',
        BATCHPILOT_CHUNK__MAX_BYTES: '1.5GB',
      },
      flags: {},
    });
    assert.equal(config.rate_limit.rpm, 500);
    assert.equal(config.request.max_tokens, 256);
    assert.equal(config.request.temperature, 0.5);
    assert.deepEqual(config.request.extra_body, { stop: ['\n'] });
    assert.equal(config.chunk.max_bytes, 1_500_000_000);
  });

  it('keeps text keys as text: BATCHPILOT_MODEL=1.5 is the string "1.5"', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\n`);
    const { config } = await loadConfig({ cwd, env: { BATCHPILOT_MODEL: '1.5' }, flags: {} });
    assert.equal(config.model, '1.5');
  });

  it('an unknown BATCHPILOT_ variable is CONFIG_INVALID naming it', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\n`);
    const error = await catchConfigError(loadConfig({ cwd, env: { BATCHPILOT_CONCURENCY: '4' }, flags: {} }));
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.equal(error.context.key, 'concurency');
    assert.match(error.message, /BATCHPILOT_CONCURENCY/);
  });

  it('a malformed nested name is CONFIG_INVALID', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\n`);
    const error = await catchConfigError(loadConfig({ cwd, env: { BATCHPILOT_RATE_LIMIT__: '4' }, flags: {} }));
    assert.equal(error.code, 'CONFIG_INVALID');
  });

  it('a wrong value names the variable in the message, with the key in context', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\n`);
    const error = await catchConfigError(loadConfig({ cwd, env: { BATCHPILOT_RATE_LIMIT__RPM: 'many' }, flags: {} }));
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.equal(error.context.key, 'rate_limit.rpm');
    assert.equal(error.context.file, undefined);
    assert.match(error.message, /BATCHPILOT_RATE_LIMIT__RPM/);
  });

  it('ignores BATCHPILOT_WORKSPACE, empty variables and a key variable named BATCHPILOT_*', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\napi_key_env: BATCHPILOT_KEY\n`);
    const { config } = await loadConfig({
      cwd,
      env: { BATCHPILOT_WORKSPACE: '/tmp/ws', BATCHPILOT_MODEL: '', BATCHPILOT_KEY: 'key-from-env-1234' },
      flags: {},
    });
    assert.equal(config.model, undefined);
    assert.equal(config.apiKey, 'key-from-env-1234');
  });
});

describe('loadConfig: flags', () => {
  it('--set sets any key path, with YAML scalar values', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\nrequest: { max_tokens: 10 }\n`);
    const { config } = await loadConfig({
      cwd,
      env: {},
      flags: { set: ['request.temperature=0.2', 'retry.max_delay_ms=1000', 'chunk.max_bytes=512KB', 'model=007'] },
    });
    assert.equal(config.request.temperature, 0.2);
    assert.equal(config.request.max_tokens, 10);
    assert.equal(config.retry.max_delay_ms, 1000);
    assert.equal(config.chunk.max_bytes, 512_000);
    assert.equal(config.model, '007');
  });

  it('--set of an unknown key path is CONFIG_INVALID naming the flag', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\n`);
    const error = await catchConfigError(loadConfig({ cwd, env: {}, flags: { set: ['request.temprature=1'] } }));
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.equal(error.context.flag, '--set');
    assert.equal(error.context.key, 'request.temprature');
  });

  it('--set without "=" is CONFIG_INVALID', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\n`);
    const error = await catchConfigError(loadConfig({ cwd, env: {}, flags: { set: ['concurrency'] } }));
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.equal(error.context.flag, '--set');
  });

  it('--set and a typed flag for the same key is CONFIG_INVALID', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\n`);
    const error = await catchConfigError(
      loadConfig({ cwd, env: {}, flags: { concurrency: '4', set: ['concurrency=8'] } }),
    );
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.equal(error.context.flag, '--set');
    assert.equal(error.context.key, 'concurrency');
  });

  it('a non-numeric --concurrency is CONFIG_INVALID naming the flag', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\n`);
    for (const concurrency of ['abc', '0x10', '4.5', '0', '2000']) {
      const error = await catchConfigError(loadConfig({ cwd, env: {}, flags: { concurrency } }));
      // Over the hard cap has its own code (SPEC section 10); the rest are plain invalid values.
      assert.equal(error.code, concurrency === '2000' ? 'CONCURRENCY_OVER_HARD_CAP' : 'CONFIG_INVALID', concurrency);
      assert.equal(error.context.flag, '--concurrency', concurrency);
      assert.equal(error.context.key, 'concurrency', concurrency);
      assert.match(error.message, /--concurrency/);
    }
  });
});
