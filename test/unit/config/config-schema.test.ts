import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configSchema } from '../../../src/config/config-schema.ts';
import { defineConfig } from '../../../src/config/define-config.ts';
import { parseSize } from '../../../src/config/parse-size.ts';

describe('parseSize', () => {
  it('reads decimal and binary units into whole bytes', () => {
    assert.equal(parseSize('200MB'), 200_000_000);
    assert.equal(parseSize('1.5GB'), 1_500_000_000);
    assert.equal(parseSize('512KB'), 512_000);
    assert.equal(parseSize('512 kib'), 524_288);
    assert.equal(parseSize('1MiB'), 1_048_576);
    assert.equal(parseSize('1024'), 1024);
    assert.equal(parseSize('10b'), 10);
  });

  it('returns null for text that is not a size', () => {
    for (const text of ['', 'MB', '12XB', '-1MB', '1,5GB', '1e3']) assert.equal(parseSize(text), null, text);
  });
});

describe('configSchema', () => {
  it('fills every default from an empty object', () => {
    const parsed = configSchema.parse({});
    assert.equal(parsed.concurrency, 32);
    assert.equal(parsed.chunk.max_bytes, undefined);
    assert.equal(parsed.batch.max_concurrent, 3);
    assert.equal(parsed.input.format, 'auto');
    assert.deepEqual(parsed.request, {});
  });

  it('takes chunk.max_bytes as a number or a size string', () => {
    assert.equal(configSchema.parse({ chunk: { max_bytes: '200MB' } }).chunk.max_bytes, 200_000_000);
    assert.equal(configSchema.parse({ chunk: { max_bytes: 4096 } }).chunk.max_bytes, 4096);
    for (const max_bytes of ['lots', 0, 1.5, true]) {
      const result = configSchema.safeParse({ chunk: { max_bytes } });
      assert.equal(result.success, false, String(max_bytes));
      assert.deepEqual(result.error?.issues[0]?.path, ['chunk', 'max_bytes']);
    }
  });

  it('takes max_response_bytes as a size (64 MiB when unset) and idle_timeout_ms in ms (60 s when unset)', () => {
    const defaults = configSchema.parse({});
    assert.equal(defaults.max_response_bytes, 67_108_864);
    assert.equal(defaults.idle_timeout_ms, 60_000);
    assert.equal(configSchema.parse({ max_response_bytes: '100MB' }).max_response_bytes, 100_000_000);
    assert.equal(configSchema.parse({ max_response_bytes: 4096 }).max_response_bytes, 4096);
    for (const values of [{ max_response_bytes: 'lots' }, { max_response_bytes: 0 }, { idle_timeout_ms: 99 }]) {
      const result = configSchema.safeParse(values);
      assert.equal(result.success, false, JSON.stringify(values));
      assert.deepEqual(result.error?.issues[0]?.path, Object.keys(values));
    }
  });

  it('enforces the hard caps and limits', () => {
    for (const values of [
      { concurrency: 1025 },
      { concurrency: 0 },
      { retry: { max_attempts: 101 } },
      { request: { temperature: 2.1 } },
      { request: { top_p: -0.1 } },
      { timeout_ms: 99 },
      { input: { max_line_bytes: 1023 } },
      { poll_interval_s: 0 },
      { limit: -1 },
      { api_key_env: '1KEY' },
      { provider: 'anthropic' },
      { provider: 'command', mode: 'batch' },
      { limits: { max_jobs: 65 } },
      { batch: { max_concurrent: 0 } },
    ]) {
      assert.equal(configSchema.safeParse(values).success, false, JSON.stringify(values));
    }
  });

  it('accepts the SPEC §4 sketch', () => {
    const sketch = defineConfig({
      provider: 'openai',
      mode: 'realtime',
      base_url: 'http://127.0.0.1:8000/v1',
      api_key_env: 'OPENAI_API_KEY',
      model: 'gpt-4o-mini',
      request: { max_tokens: 1024, temperature: 0.6, extra_body: { stop: [] } },
      input: { format: 'auto', messages_key: 'messages' },
      limit: 0,
      concurrency: 32,
      rate_limit: { rpm: 0, tpm: 0 },
      retry: { max_attempts: 4, base_delay_ms: 500, max_delay_ms: 60000 },
      timeout_ms: 600000,
      chunk: { max_requests: 50000, max_bytes: '200MB' },
      poll_interval_s: 30,
    });
    assert.equal(configSchema.safeParse(sketch).success, true);
  });
});
