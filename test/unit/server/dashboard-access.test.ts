import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  dashboardToken,
  isLoopbackHost,
  isLoopbackHostHeader,
  requestToken,
  tokenMatches,
} from '../../../src/server/dashboard-access.ts';

describe('dashboard access', () => {
  it('needs no token on loopback, and refuses any other address without one, naming --token', () => {
    assert.equal(dashboardToken('127.0.0.1', undefined), null);
    assert.equal(dashboardToken('localhost', undefined), null);
    assert.equal(dashboardToken('::1', undefined), null);
    for (const host of ['0.0.0.0', '192.168.1.5', 'example.com', '::']) {
      assert.throws(
        () => dashboardToken(host, undefined),
        (error: Error & { code?: string; context?: { flag?: string } }) =>
          error.code === 'USAGE' && error.context?.flag === '--token' && error.message.includes(host),
      );
    }
  });

  it('takes a given token of 16 characters or more, and generates one when asked', () => {
    assert.equal(dashboardToken('0.0.0.0', 'a-token-of-enough-length'), 'a-token-of-enough-length');
    assert.throws(() => dashboardToken('0.0.0.0', 'short'), /at least 16 characters/);
    const generated = dashboardToken('0.0.0.0', true);
    assert.ok(generated !== null && /^[A-Za-z0-9_-]{43}$/.test(generated), String(generated));
    assert.notEqual(dashboardToken('127.0.0.1', true), generated);
  });

  it('reads the token from the Authorization header or the query, and compares it whole', () => {
    assert.equal(requestToken('Bearer abc', undefined), 'abc');
    assert.equal(requestToken('bearer abc', 'other'), 'abc');
    assert.equal(requestToken(undefined, 'xyz'), 'xyz');
    assert.equal(requestToken('Basic abc', undefined), undefined);
    assert.equal(tokenMatches('same-token', 'same-token'), true);
    assert.equal(tokenMatches('same-token', 'same-token-longer'), false);
    assert.equal(tokenMatches('', 'same-token'), false);
  });

  it("tells this machine's names from others, in an address and in a Host header", () => {
    assert.equal(isLoopbackHost('127.0.0.2'), true);
    assert.equal(isLoopbackHost('127.example.com'), false);
    assert.equal(isLoopbackHostHeader('127.0.0.1:7420'), true);
    assert.equal(isLoopbackHostHeader('localhost:7420'), true);
    assert.equal(isLoopbackHostHeader('[::1]:7420'), true);
    assert.equal(isLoopbackHostHeader('attacker.example'), false);
    assert.equal(isLoopbackHostHeader('attacker.example:7420'), false);
    assert.equal(isLoopbackHostHeader(undefined), false);
  });
});
