import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSimulatorFlags } from '../../../src/cli/commands/simulate.ts';
import { ConfigError } from '../../../src/errors/index.ts';

function assertFlagError(flags: Record<string, unknown>, flag: string, code = 'CONFIG_INVALID'): void {
  assert.throws(
    () => parseSimulatorFlags(flags, {}),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.code, code);
      assert.equal(error.context.flag, flag);
      return true;
    },
  );
}

describe('parseSimulatorFlags', () => {
  it('defaults to port 8000 and sets nothing else', () => {
    assert.deepEqual(parseSimulatorFlags({}, {}), { port: 8000 });
  });

  it('converts commander strings into simulator options', () => {
    const options = parseSimulatorFlags(
      {
        port: '0',
        host: '0.0.0.0',
        latencyMs: '25',
        jitterMs: '5',
        fail500: '0.1',
        fail429: '0.2',
        failReset: '0',
        failResetMid: '0.05',
        failHang: '0.01',
        failMalformed: '1',
        retryAfterMs: '250',
        rpm: '600',
        rateLimitHeaders: true,
        maxConcurrency: '8',
        seed: '42',
        json: true,
      },
      {},
    );
    assert.deepEqual(options, {
      port: 0,
      host: '0.0.0.0',
      latencyMs: 25,
      jitterMs: 5,
      retryAfterMs: 250,
      rpm: 600,
      maxConcurrency: 8,
      seed: 42,
      failureRates: {
        http500: 0.1,
        http429: 0.2,
        resetBeforeResponse: 0,
        resetMidBody: 0.05,
        hang: 0.01,
        malformed: 1,
      },
      rateLimitHeaders: true,
    });
  });

  it('reads the API key from the named environment variable', () => {
    assert.equal(parseSimulatorFlags({ apiKeyEnv: 'SIM_KEY' }, { SIM_KEY: 'sk-test' }).apiKey, 'sk-test');
    assertFlagError({ apiKeyEnv: 'SIM_KEY' }, '--api-key-env', 'API_KEY_MISSING');
    assertFlagError({ apiKeyEnv: 'not a name' }, '--api-key-env');
  });

  it('names the flag of a bad value', () => {
    assertFlagError({ fail500: 'abc' }, '--fail-500');
    assertFlagError({ fail429: '1.5' }, '--fail-429');
    assertFlagError({ failHang: '-0.1' }, '--fail-hang');
    assertFlagError({ fail503: '2' }, '--fail-503');
    assertFlagError({ fail529: 'x' }, '--fail-529');
    assertFlagError({ failMalformed: '' }, '--fail-malformed');
    assertFlagError({ port: '70000' }, '--port');
    assertFlagError({ latencyMs: '-5' }, '--latency-ms');
    assertFlagError({ rpm: '1.5' }, '--rpm');
    assertFlagError({ maxConcurrency: 'lots' }, '--max-concurrency');
    assertFlagError({ host: ' ' }, '--host');
  });

  it('quotes the bad value and the expected range in the message', () => {
    assert.throws(() => parseSimulatorFlags({ fail500: 'abc' }, {}), {
      message: 'flag --fail-500: expected a rate from 0 to 1, such as 0.05, got "abc"',
    });
  });
});
