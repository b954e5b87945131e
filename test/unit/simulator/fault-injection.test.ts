import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FAULT_KINDS, createFaultPicker, createSeededRandom, type FaultKind } from '../../../src/simulator/index.ts';

const noFaults = {
  http500: 0,
  http429: 0,
  resetBeforeResponse: 0,
  resetMidBody: 0,
  hang: 0,
  malformed: 0,
  http503: 0,
  http529: 0,
  endless: 0,
  stall: 0,
};

function countFaults(rates: typeof noFaults, draws: number, seed = 1): Map<FaultKind | undefined, number> {
  const pick = createFaultPicker(rates, createSeededRandom(seed));
  const counts = new Map<FaultKind | undefined, number>();
  for (let index = 0; index < draws; index += 1) {
    const fault = pick();
    counts.set(fault, (counts.get(fault) ?? 0) + 1);
  }
  return counts;
}

describe('createSeededRandom', () => {
  it('repeats its sequence for a seed and stays in [0, 1)', () => {
    const first = createSeededRandom(42);
    const second = createSeededRandom(42);
    for (let index = 0; index < 1000; index += 1) {
      const value = first();
      assert.equal(second(), value);
      assert.ok(value >= 0 && value < 1);
    }
    assert.notEqual(createSeededRandom(43)(), createSeededRandom(42)());
  });
});

describe('createFaultPicker', () => {
  it('never picks a fault when every rate is 0', () => {
    assert.deepEqual([...countFaults(noFaults, 1000).entries()], [[undefined, 1000]]);
  });

  it('always picks a kind whose rate is 1', () => {
    for (const kind of FAULT_KINDS) {
      assert.deepEqual([...countFaults({ ...noFaults, [kind]: 1 }, 200).entries()], [[kind, 200]]);
    }
  });

  it('picks each kind close to its rate', () => {
    const rates = {
      http500: 0.1,
      http429: 0.2,
      resetBeforeResponse: 0.05,
      resetMidBody: 0.05,
      hang: 0.02,
      malformed: 0.08,
      http503: 0.03,
      http529: 0.02,
      endless: 0,
      stall: 0,
    };
    const draws = 50_000;
    const counts = countFaults(rates, draws);
    for (const kind of FAULT_KINDS) {
      const observed = (counts.get(kind) ?? 0) / draws;
      assert.ok(
        Math.abs(observed - rates[kind]) < 0.01,
        `${kind}: observed ${String(observed)}, rate ${String(rates[kind])}`,
      );
    }
    assert.ok(Math.abs((counts.get(undefined) ?? 0) / draws - 0.45) < 0.01);
  });

  it('lets earlier kinds win when the rates add up past 1', () => {
    const counts = countFaults({ ...noFaults, http500: 0.7, malformed: 0.7 }, 10_000);
    assert.equal(counts.get(undefined), undefined);
    assert.ok(Math.abs((counts.get('http500') ?? 0) / 10_000 - 0.7) < 0.02);
  });

  it('gives the same sequence for the same seed, so a retry is a new draw', () => {
    const pickA = createFaultPicker({ ...noFaults, http500: 0.5 }, createSeededRandom(7));
    const pickB = createFaultPicker({ ...noFaults, http500: 0.5 }, createSeededRandom(7));
    const sequence = Array.from({ length: 50 }, () => pickA());
    assert.deepEqual(
      Array.from({ length: 50 }, () => pickB()),
      sequence,
    );
    assert.ok(sequence.includes(undefined) && sequence.includes('http500'));
  });
});
