import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseResetDuration,
  readRateLimitHints,
  resetTimeMs,
} from '../../../src/providers/openai/read-rate-limit-hints.ts';

describe('parseResetDuration', () => {
  const table: [string, number | undefined][] = [
    ['20ms', 20],
    ['1s', 1000],
    ['1.5s', 1500],
    ['6m0s', 360_000],
    ['1h2m3s', 3_723_000],
    ['0s', 0],
    ['12', undefined],
    ['soon', undefined],
    ['', undefined],
    ['5x', undefined],
  ];
  for (const [text, expected] of table) {
    it(`${JSON.stringify(text)} -> ${String(expected)}`, () => assert.equal(parseResetDuration(text), expected));
  }
});

describe('resetTimeMs', () => {
  const now = Date.parse('2026-11-29T12:00:00Z');
  it('turns an RFC 3339 time into ms from now, 0 when past, undefined when unreadable', () => {
    assert.equal(resetTimeMs('2026-11-29T12:00:01.500Z', now), 1500);
    assert.equal(resetTimeMs('2026-11-29T13:00:00+01:00', now), 0);
    assert.equal(resetTimeMs('2026-11-29T11:59:00Z', now), 0);
    assert.equal(resetTimeMs('tomorrow', now), undefined);
    assert.equal(resetTimeMs(undefined, now), undefined);
  });
});

describe('readRateLimitHints', () => {
  const now = Date.parse('2026-11-29T12:00:00Z');

  it('is null when the server sends no rate-limit header', () => {
    assert.equal(readRateLimitHints({ 'content-type': 'application/json' }, now), null);
  });

  it("reads OpenAI's x-ratelimit-* headers", () => {
    const hints = readRateLimitHints(
      {
        'x-ratelimit-limit-requests': '10000',
        'x-ratelimit-remaining-requests': '9999',
        'x-ratelimit-reset-requests': '6ms',
        'x-ratelimit-limit-tokens': '2000000',
        'x-ratelimit-remaining-tokens': '1999000',
        'x-ratelimit-reset-tokens': '6m0s',
      },
      now,
    );
    assert.deepEqual(hints, {
      limitRequests: 10_000,
      remainingRequests: 9999,
      resetRequestsMs: 6,
      limitTokens: 2_000_000,
      remainingTokens: 1_999_000,
      resetTokensMs: 360_000,
    });
  });

  it('reads remaining and reset without a limit', () => {
    const hints = readRateLimitHints(
      { 'x-ratelimit-remaining-requests': '3', 'x-ratelimit-reset-requests': '1s' },
      now,
    );
    assert.deepEqual(hints, { remainingRequests: 3, resetRequestsMs: 1000 });
  });

  it("reads Anthropic's anthropic-ratelimit-* headers, resets as RFC 3339 times", () => {
    const hints = readRateLimitHints(
      {
        'anthropic-ratelimit-requests-limit': '50',
        'anthropic-ratelimit-requests-remaining': '49',
        'anthropic-ratelimit-requests-reset': '2026-11-29T12:00:01Z',
        'anthropic-ratelimit-tokens-limit': '40000',
        'anthropic-ratelimit-tokens-remaining': '39000',
        'anthropic-ratelimit-tokens-reset': '2026-11-29T12:00:02Z',
      },
      now,
    );
    assert.deepEqual(hints, {
      limitRequests: 50,
      remainingRequests: 49,
      resetRequestsMs: 1000,
      limitTokens: 40_000,
      remainingTokens: 39_000,
      resetTokensMs: 2000,
    });
  });

  it("falls back to Anthropic's input-tokens limit when no tokens-* is sent", () => {
    const hints = readRateLimitHints(
      {
        'anthropic-ratelimit-input-tokens-limit': '30000',
        'anthropic-ratelimit-input-tokens-remaining': '100',
        'anthropic-ratelimit-input-tokens-reset': '2026-11-29T12:00:00.250Z',
      },
      now,
    );
    assert.deepEqual(hints, { limitTokens: 30_000, remainingTokens: 100, resetTokensMs: 250 });
  });

  it('ignores unreadable values', () => {
    const hints = readRateLimitHints(
      { 'x-ratelimit-remaining-requests': 'lots', 'x-ratelimit-reset-requests': 'later' },
      now,
    );
    assert.equal(hints, null);
  });
});
