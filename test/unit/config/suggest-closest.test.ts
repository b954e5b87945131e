import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { suggestClosest } from '../../../src/config/suggest-closest.ts';

const KEYS = ['provider', 'mode', 'base_url', 'model', 'concurrency', 'rate_limit', 'retry', 'timeout_ms', 'limit'];

describe('suggestClosest', () => {
  it('finds typos, swaps and other spellings of a key', () => {
    assert.equal(suggestClosest('concurency', KEYS), 'concurrency');
    assert.equal(suggestClosest('cocnurrency', KEYS), 'concurrency');
    assert.equal(suggestClosest('baseUrl', KEYS), 'base_url');
    assert.equal(suggestClosest('base-url', KEYS), 'base_url');
    assert.equal(suggestClosest('RATE_LIMIT', KEYS), 'rate_limit');
    assert.equal(suggestClosest('timeout', KEYS), 'timeout_ms');
  });

  it('suggests nothing when no key is close', () => {
    assert.equal(suggestClosest('zzz', KEYS), undefined);
    assert.equal(suggestClosest('temperature', KEYS), undefined);
  });
});
