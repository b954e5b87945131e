import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveSimulatorOptions } from '../../../src/simulator/index.ts';

describe('resolveSimulatorOptions', () => {
  it('fills the documented defaults', () => {
    const resolved = resolveSimulatorOptions();
    assert.equal(resolved.host, '127.0.0.1');
    assert.equal(resolved.port, 0);
    assert.equal(resolved.retryAfterMs, 100);
    assert.equal(resolved.seed, 1);
    assert.equal(resolved.hangMs, 600_000);
    assert.equal(resolved.trackDuplicates, true);
    assert.equal(resolved.failureRates.http500, 0);
  });

  it('rejects rates outside 0..1 and negative numbers', () => {
    assert.throws(() => resolveSimulatorOptions({ failureRates: { http500: 1.5 } }), /failureRates\.http500/);
    assert.throws(() => resolveSimulatorOptions({ latencyMs: -1 }), /latencyMs/);
    assert.throws(() => resolveSimulatorOptions({ port: 70_000 }), /port/);
    assert.throws(() => resolveSimulatorOptions({ apiKey: '' }), /apiKey/);
  });

  it('caps hangMs at the largest timer node can hold', () => {
    assert.equal(resolveSimulatorOptions({ hangMs: 1e12 }).hangMs, 2_147_483_647);
  });
});
