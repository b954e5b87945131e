import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FailureShare } from '../../../src/engine/failure-share.ts';

/** `FailureShare`: a failure is scattered while few of the last two seconds' answers failed, among enough of them. */
describe('FailureShare', () => {
  it('is scattered at a few percent of failures, and not at a burst of them', () => {
    const share = new FailureShare(0);
    for (let at = 0; at < 1000; at += 10) share.recordSuccess(at);
    share.recordFailure(1000);
    share.recordFailure(1000);
    assert.equal(share.isScattered(1000), true, '2 failures among 102 answers');
    for (let n = 0; n < 20; n += 1) share.recordFailure(1100);
    assert.equal(share.isScattered(1100), false, '22 failures among 122 answers');
  });

  it('knows nothing from too few answers: no failure is scattered then', () => {
    const share = new FailureShare(0);
    for (let n = 0; n < 10; n += 1) share.recordSuccess(50);
    assert.equal(share.isScattered(60), false);
  });

  it('forgets what is older than its window', () => {
    const share = new FailureShare(0);
    for (let n = 0; n < 50; n += 1) share.recordFailure(100);
    for (let at = 2500; at < 3500; at += 10) share.recordSuccess(at);
    assert.equal(share.isScattered(3500), true, 'the burst of failures at 100 ms is out of the window');
  });
});
