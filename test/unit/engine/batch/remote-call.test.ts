import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { callRemote, type NetworkTrouble, StopRequested } from '../../../../src/engine/batch/remote-call.ts';
import { ConnectionError, ProviderError } from '../../../../src/errors/index.ts';

/**
 * `callRemote`, the retry loop around every remote step of batch mode: what it retries, what it hands back at once,
 * what it tells while the provider cannot be reached, and that a stop ends its wait.
 */

function options(signal = new AbortController().signal, told: (NetworkTrouble | null)[] = []) {
  return {
    signal,
    maxOutageMs: 60_000,
    baseDelayMs: 1,
    maxDelayMs: 2,
    now: () => 0,
    onTrouble: (trouble: NetworkTrouble | null) => told.push(trouble),
  };
}

/** A call that throws `errors` in turn, then returns 'done'. */
function failing(errors: Error[]): { call: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    call: () => {
      const error = errors[calls];
      calls += 1;
      return error === undefined ? Promise.resolve('done') : Promise.reject(error);
    },
    calls: () => calls,
  };
}

describe('callRemote', () => {
  it('retries network faults, 408, 429 and 5xx until the call gets through, and says when it does', async () => {
    const errors = [
      new ConnectionError('refused', { kind: 'connection', errno: 'ECONNREFUSED' }),
      ProviderError.generate(408, 'timeout', {}),
      ProviderError.generate(429, 'slow down', { retryAfterMs: 1 }),
      ProviderError.generate(500, 'oops', {}),
      ProviderError.generate(503, 'overloaded', {}),
    ];
    const told: (NetworkTrouble | null)[] = [];
    const remote = failing(errors);
    assert.equal(await callRemote('upload', remote.call, options(undefined, told)), 'done');
    assert.equal(remote.calls(), 6);
    assert.deepEqual(
      told.map((trouble) => trouble?.failures ?? null),
      [1, 2, 3, 4, 5, null],
    );
    assert.ok(told.slice(0, 5).every((trouble) => trouble?.step === 'upload'));
  });

  it('hands back a 400, a 401 and anything that is not a provider error at once', async () => {
    for (const error of [
      ProviderError.generate(400, 'bad', {}),
      ProviderError.generate(401, 'who', {}),
      new TypeError('a bug'),
    ]) {
      const remote = failing([error]);
      await assert.rejects(callRemote('create', remote.call, options()), (thrown) => thrown === error);
      assert.equal(remote.calls(), 1);
    }
  });

  it('ends its wait with StopRequested when the job is stopped', async () => {
    const stop = new AbortController();
    const remote = failing([ProviderError.generate(429, 'later', { retryAfterMs: 60_000 })]);
    const pending = callRemote('poll', remote.call, { ...options(stop.signal), maxDelayMs: 60_000 });
    stop.abort();
    await assert.rejects(pending, StopRequested);
    assert.equal(remote.calls(), 1);
  });
});
