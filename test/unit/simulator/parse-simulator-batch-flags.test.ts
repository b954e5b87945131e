import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSimulatorFlags } from '../../../src/cli/commands/simulate.ts';
import { ConfigError } from '../../../src/errors/index.ts';
import { resolveSimulatorOptions } from '../../../src/simulator/index.ts';

function assertFlagError(flags: Record<string, unknown>, flag: string): void {
  assert.throws(
    () => parseSimulatorFlags(flags, {}),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.code, 'CONFIG_INVALID');
      assert.equal(error.context.flag, flag);
      return true;
    },
  );
}

describe('parseSimulatorFlags: batch flags', () => {
  it('converts the batch flags into simulator options', () => {
    const options = parseSimulatorFlags(
      {
        batchLifetimeMs: '500',
        batchFailRate: '0.1',
        batchLineFailRate: '0.02',
        batchLineExpireRate: '0',
        batchEnqueuedTokenLimit: '90000',
      },
      {},
    );
    assert.deepEqual(options, {
      port: 8000,
      batchLifetimeMs: 500,
      batchFailRate: 0.1,
      batchLineFailRate: 0.02,
      batchLineExpireRate: 0,
      batchEnqueuedTokenLimit: 90_000,
    });
  });

  it('names the flag of a bad value', () => {
    assertFlagError({ batchLifetimeMs: '-1' }, '--batch-lifetime-ms');
    assertFlagError({ batchLifetimeMs: '1.5' }, '--batch-lifetime-ms');
    assertFlagError({ batchFailRate: '2' }, '--batch-fail-rate');
    assertFlagError({ batchLineFailRate: 'x' }, '--batch-line-fail-rate');
    assertFlagError({ batchLineExpireRate: '' }, '--batch-line-expire-rate');
    assertFlagError({ batchEnqueuedTokenLimit: 'lots' }, '--batch-enqueued-token-limit');
  });

  it('defaults the batch options and rejects out-of-range ones', () => {
    const resolved = resolveSimulatorOptions({});
    assert.equal(resolved.batchLifetimeMs, 2000);
    assert.equal(resolved.batchFailRate, 0);
    assert.equal(resolved.batchEnqueuedTokenLimit, 0);
    assert.throws(() => resolveSimulatorOptions({ batchLineExpireRate: 1.5 }), RangeError);
    assert.throws(() => resolveSimulatorOptions({ batchLifetimeMs: Number.NaN }), RangeError);
  });
});
