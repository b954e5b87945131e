import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SlotPool, type SlotShare } from '../../../src/engine/slot-pool.ts';

/** Lets queued microtasks (the pool's wake-ups) run. */
async function settle(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

/** Takes slots for `share` until refused; refusals call `onAvailable`. */
function takeAll(share: SlotShare, onAvailable: () => void = () => undefined): number {
  let taken = 0;
  while (share.tryAcquire(onAvailable)) taken += 1;
  return taken;
}

describe('SlotPool', () => {
  it('lets one job use the whole budget, and no more', () => {
    const pool = new SlotPool(5);
    const share = pool.join('a');
    assert.equal(takeAll(share), 5);
    assert.equal(pool.used, 5);
    assert.equal(share.waiting, true);
    share.release(5);
    assert.equal(pool.used, 0);
  });

  it('calls a refused job back once a slot is given back', async () => {
    const pool = new SlotPool(2);
    const a = pool.join('a');
    const b = pool.join('b');
    assert.equal(takeAll(a), 1 + 1, 'a borrows what b does not want');
    let calls = 0;
    assert.equal(
      b.tryAcquire(() => (calls += 1)),
      false,
    );
    a.release(1);
    assert.equal(calls, 0, 'called back on a microtask, not inside release');
    await settle();
    assert.equal(calls, 1);
    assert.equal(
      b.tryAcquire(() => undefined),
      true,
    );
    await settle();
    assert.equal(calls, 1, 'called back once per refusal');
  });

  it('gives a new small job its fair share of a budget a big job filled', async () => {
    const pool = new SlotPool(10);
    const big = pool.join('big');
    const small = pool.join('small');
    assert.equal(takeAll(big), 10, 'alone in demand, the big job borrows every slot');

    let smallWants = 4;
    const smallTake = (): void => {
      while (smallWants > 0 && small.tryAcquire(smallTake)) smallWants -= 1;
    };
    smallTake();
    assert.equal(small.held, 0);
    assert.equal(small.waiting, true);

    // The big job's requests end one by one; each time it tries to send again at once.
    const bigTake = (): void => {
      while (big.tryAcquire(bigTake));
    };
    for (let index = 0; index < 4; index += 1) {
      big.release(1);
      bigTake();
      await settle();
    }
    assert.equal(small.held, 4, 'each slot the big job gave back went to the waiting small job');
    assert.equal(big.held, 6);
    assert.equal(pool.used, 10);
  });

  it('converges to equal shares when every job wants more', async () => {
    const pool = new SlotPool(9);
    const shares = [pool.join('a'), pool.join('b'), pool.join('c')];
    const [a] = shares;
    const take = (share: SlotShare): void => {
      while (share.tryAcquire(() => take(share)));
    };
    take(a!);
    assert.equal(a!.held, 9);
    take(shares[1]!);
    take(shares[2]!);
    for (let round = 0; round < 20; round += 1) {
      // Whoever holds the most finishes a request and asks again at once.
      const most = [...shares].sort((x, y) => y.held - x.held)[0]!;
      most.release(1);
      take(most);
      await settle();
    }
    assert.deepEqual(
      shares.map((share) => share.held),
      [3, 3, 3],
    );
  });

  it('hands a leaving job share to the others', async () => {
    const pool = new SlotPool(4);
    const a = pool.join('a');
    const b = pool.join('b');
    let calls = 0;
    const takeA = (): void => {
      calls += 1;
      while (a.tryAcquire(takeA));
    };
    assert.equal(takeAll(b), 4);
    takeA();
    assert.equal(a.held, 0);
    b.release(4);
    b.leave();
    await settle();
    assert.equal(a.held, 4);
    assert.equal(pool.size, 1);
    assert.equal(pool.fairShare, 4);
    assert.ok(calls >= 2);
  });

  it('refuses to give back more than a job holds, and a left job cannot take slots', () => {
    const pool = new SlotPool(3);
    const a = pool.join('a');
    assert.equal(
      a.tryAcquire(() => undefined),
      true,
    );
    assert.throws(() => a.release(2), /holds 1/);
    a.release(1);
    a.leave();
    assert.throws(() => a.tryAcquire(() => undefined), /left the pool/);
    assert.throws(() => new SlotPool(0), RangeError);
  });

  it('never goes over the budget nor leaks a slot under random load', async () => {
    const pool = new SlotPool(7);
    const jobs = Array.from({ length: 5 }, (_, index) => ({
      share: pool.join(`job-${String(index)}`),
      left: 50 + index * 40,
      inFlight: 0,
    }));
    let maxUsed = 0;
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const pending = new Set<Promise<void>>();
    const pump = (job: (typeof jobs)[number]): void => {
      while (job.left > 0 && job.inFlight < 4 && job.share.tryAcquire(() => pump(job))) {
        job.left -= 1;
        job.inFlight += 1;
        maxUsed = Math.max(maxUsed, pool.used);
        const request = new Promise<void>((resolve) => setTimeout(resolve, Math.floor(random() * 3))).then(() => {
          job.inFlight -= 1;
          job.share.release(1);
          pump(job);
        });
        pending.add(request);
        void request.then(() => pending.delete(request));
      }
    };
    for (const job of jobs) pump(job);
    while (pending.size > 0) await Promise.all([...pending]);
    await settle();
    assert.ok(maxUsed <= 7, `used ${String(maxUsed)} of 7`);
    assert.equal(maxUsed, 7, 'the budget was used in full while there was work');
    assert.deepEqual(
      jobs.map((job) => job.left),
      [0, 0, 0, 0, 0],
    );
    assert.equal(pool.used, 0);
    for (const job of jobs) {
      assert.equal(job.share.held, 0);
      job.share.leave();
    }
    assert.equal(pool.size, 0);
  });
});
