import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createGroupAdmission,
  readStoredGroupFigures,
  type GroupAdmission,
  type StoredGroupItem,
} from '../../../src/compose/group-admission.ts';
import type { GroupsConfig } from '../../../src/config/config-schema.ts';
import type { AdmissionStep } from '../../../src/engine/admission-policy.ts';
import type { ManifestRow } from '../../../src/prep/manifest.ts';
import type { OpenItem } from '../../../src/store/store.ts';
import { createTestSeed } from '../../helpers/test-seed.ts';

/**
 * Admission by need over row groups (docs/decisions/0024), driven as the realtime feed drives it: units admitted up to
 * a pool's width, answers settled in a random order with a seeded share of invalid ones.
 */

const seed = createTestSeed(import.meta.url);

function groupsConfig(partial: Partial<GroupsConfig>): GroupsConfig {
  return { targets: {}, already: {}, overshoot: 0, weights: {}, order: 'round_robin', ...partial };
}

/** Rows of two prompts (`a`, `b`), `sizes` rows per group, in input order group after group. */
function manifest(sizes: Record<string, number>): { rows: ManifestRow[]; items: OpenItem[] } {
  const rows: ManifestRow[] = [];
  const items: OpenItem[] = [];
  for (const [group, size] of Object.entries(sizes)) {
    for (let index = 0; index < size; index += 1) {
      const key = `${group}${String(index)}`;
      rows.push({ index: rows.length, key, group, prompts: { a: [`a_${key}`], b: [`b_${key}`] } });
      for (const customId of [`a_${key}`, `b_${key}`]) {
        items.push({
          seq: items.length,
          customId,
          lineNo: items.length + 1,
          byteOffset: 0,
          byteLength: 1,
          attempts: 0,
        });
      }
    }
  }
  return { rows, items };
}

interface Drive {
  /** Rows admitted per group, in admission order. */
  order: string[];
  /** Most valid + out seen per group at any time. */
  peak: Map<string, number>;
}

/** Admits up to `width` units at a time and settles their items in a random order, `invalid` of `a` answers invalid. */
function drive(policy: GroupAdmission, width: number, invalid: number, random: () => number): Drive {
  const out: OpenItem[] = [];
  const order: string[] = [];
  const peak = new Map<string, number>();
  let units = 0;
  for (;;) {
    while (units < width) {
      const step = policy.next();
      if (step === 'wait' || step === 'done') break;
      units += 1;
      order.push(policy.groupOf(step[0]?.customId ?? '') ?? '?');
      out.push(...step);
    }
    for (const figure of policy.figures()) {
      peak.set(figure.group, Math.max(peak.get(figure.group) ?? 0, figure.valid + figure.already + figure.inFlight));
    }
    if (out.length === 0) {
      assert.equal(policy.next(), 'done', seed.note);
      return { order, peak };
    }
    const [item] = out.splice(Math.floor(random() * out.length), 1);
    if (item === undefined) continue;
    const rowDone = !out.some((other) => other.customId.slice(2) === item.customId.slice(2));
    if (rowDone) units -= 1;
    const valid = !item.customId.startsWith('a_') || random() >= invalid;
    policy.settled({ customId: item.customId, state: 'succeeded', checkStatus: valid ? 'valid' : 'invalid' });
  }
}

function start(config: GroupsConfig, sizes: Record<string, number>): GroupAdmission {
  const { rows, items } = manifest(sizes);
  const policy = createGroupAdmission(config, rows);
  for (const item of items) policy.add(item);
  return policy;
}

/** The custom_ids of an admitted unit, or the step's word. */
function idsOf(step: AdmissionStep): string[] | string {
  return typeof step === 'string' ? step : step.map((item) => item.customId);
}

function figure(policy: GroupAdmission, group: string) {
  const found = policy.figures().find((each) => each.group === group);
  assert.ok(found !== undefined, `group ${group}; ${seed.note}`);
  return found;
}

describe('group admission', () => {
  it('ends every group exactly at its target with overshoot 0 under 30% invalid answers', () => {
    for (let round = 0; round < 20; round += 1) {
      const random = () => seed.random();
      const policy = start(groupsConfig({ targets: { k: 15, i: 20, m: 30, '*': 0 }, already: { k: 5 } }), {
        k: 60,
        i: 60,
        m: 20,
        x: 7,
      });
      const { peak } = drive(policy, 1 + Math.floor(random() * 12), 0.3, random);
      const note = `round ${String(round)}; ${seed.note}`;
      assert.equal(figure(policy, 'k').valid, 10, note);
      assert.equal(figure(policy, 'k').state, 'reached', note);
      assert.equal(figure(policy, 'i').valid, 20, note);
      assert.ok((peak.get('k') ?? 0) <= 15, `k never above target in flight; ${note}`);
      assert.ok((peak.get('i') ?? 0) <= 20, note);
      const m = figure(policy, 'm');
      assert.equal(m.decided, 20, `every row of a short group sent; ${note}`);
      assert.equal(m.state, 'short', note);
      assert.equal(m.shortfall, 30 - m.valid, note);
      assert.equal(figure(policy, 'x').decided, 7, `no target: every row; ${note}`);
      assert.equal(figure(policy, 'x').state, 'done', note);
    }
  });

  it('keeps a group within target + overshoot, and uses the overshoot when answers often fail', () => {
    const random = () => seed.random();
    const policy = start(groupsConfig({ targets: { k: 20 }, overshoot: 4 }), { k: 200 });
    const { peak } = drive(policy, 32, 0.5, random);
    const k = figure(policy, 'k');
    assert.ok(k.valid >= 20 && k.valid <= 24, `valid ${String(k.valid)}; ${seed.note}`);
    assert.ok((peak.get('k') ?? 0) <= 24, seed.note);
    assert.ok((peak.get('k') ?? 0) > 20, `the overshoot is used; ${seed.note}`);
  });

  it('serves groups by turns, by weight: no group waits while another of its weight ran twice its share', () => {
    const policy = start(groupsConfig({ weights: { c: 2 } }), { a: 30, b: 30, c: 30 });
    const { order } = drive(policy, 1, 0, () => 0);
    const served = new Map<string, number>();
    for (const group of order.slice(0, 60)) {
      served.set(group, (served.get(group) ?? 0) + 1);
      const [a, b] = [served.get('a') ?? 0, served.get('b') ?? 0];
      assert.ok(a <= 2 * Math.max(b, 1) && b <= 2 * Math.max(a, 1), `order ${order.join('')}`);
    }
    // Weight 2: c is served about twice as often as a while all three have rows.
    const first40 = order.slice(0, 40);
    const count = (group: string): number => first40.filter((each) => each === group).length;
    assert.ok(count('c') >= 2 * count('a') - 2, `order ${order.join('')}`);
  });

  it('adds the rows a sink already holds (already_from) to `already`', () => {
    const { rows, items } = manifest({ k: 20 });
    const policy = createGroupAdmission(
      groupsConfig({ targets: { k: 10 }, already: { k: 3 } }),
      rows,
      new Map([['k', 5]]),
    );
    for (const item of items) policy.add(item);
    drive(policy, 4, 0, () => 0.5);
    assert.equal(figure(policy, 'k').already, 8);
    assert.equal(figure(policy, 'k').valid, 2);
  });

  it('order: need serves the group furthest from its target first', () => {
    const policy = start(groupsConfig({ targets: { a: 5, b: 20 }, order: 'need' }), { a: 30, b: 30 });
    const ids = idsOf(policy.next());
    assert.ok(typeof ids !== 'string');
    assert.equal(policy.groupOf(ids[0] ?? ''), 'b');
  });

  it('counts what earlier runs settled, sends rows they started first, and counts by count_prompt', () => {
    const { rows, items } = manifest({ k: 10 });
    const policy = createGroupAdmission(groupsConfig({ targets: { k: 3 }, count_prompt: 'a' }), rows);
    // Row k0 valid by its a answer (b still open); row k1 started (its b answered), a open; k2 invalid.
    policy.learn({ customId: 'a_k0', state: 'succeeded', checkStatus: 'valid' });
    policy.learn({ customId: 'b_k1', state: 'succeeded', checkStatus: 'invalid' });
    policy.learn({ customId: 'a_k2', state: 'failed', checkStatus: null });
    policy.learn({ customId: 'b_k2', state: 'succeeded', checkStatus: 'valid' });
    const settled = new Set(['a_k0', 'b_k1', 'a_k2', 'b_k2']);
    for (const item of items) if (!settled.has(item.customId)) policy.add(item);
    const first = policy.next();
    const second = policy.next();
    assert.deepEqual(idsOf(first), ['b_k0']);
    assert.deepEqual(idsOf(second), ['a_k1']);
    const k = figure(policy, 'k');
    assert.equal(k.valid, 1);
    assert.equal(k.inFlight, 1);
    // valid 1 + out 1 < 3: one more row may go, then it waits on what is out.
    assert.equal(typeof idsOf(policy.next()), 'object');
    assert.equal(policy.next(), 'wait');
  });

  it('counts a row whose item an earlier run put in a remote batch as out, and sends it first (batch mode)', () => {
    const { rows, items } = manifest({ k: 10 });
    const policy = createGroupAdmission(groupsConfig({ targets: { k: 2 } }), rows);
    // Rows k5 and k6 are in a remote batch (attempts 0 until it merges): they are the 2 rows the target needs.
    const sent = new Set(['a_k5', 'b_k5', 'a_k6', 'b_k6']);
    for (const item of items) policy.add(item, sent.has(item.customId));
    assert.deepEqual(idsOf(policy.next()), ['a_k5', 'b_k5']);
    assert.deepEqual(idsOf(policy.next()), ['a_k6', 'b_k6']);
    assert.equal(figure(policy, 'k').inFlight, 2);
    assert.equal(policy.next(), 'wait');
  });
});

describe('group admission: skippable', () => {
  it("hands over a group's waiting rows once it reaches its target, and still counts them as skipped", () => {
    const policy = start(groupsConfig({ targets: { k: 2, m: 0 } }), { k: 5, m: 1 });
    assert.deepEqual(policy.skippable(), [], 'nothing before any answer');
    const sent: string[] = [];
    for (let step = policy.next(); typeof step !== 'string'; step = policy.next()) {
      sent.push(...step.map((item) => item.customId));
    }
    // k admits 2 rows (its need), m its one row; no k row is skippable while answers are out.
    assert.deepEqual(
      sent.filter((id) => id.startsWith('a_k')),
      ['a_k0', 'a_k1'],
    );
    assert.deepEqual(policy.skippable(), []);
    for (const id of sent) policy.settled({ customId: id, state: 'succeeded', checkStatus: 'valid' });
    const skipped = policy.skippable().map((item) => item.customId);
    assert.deepEqual(skipped, ['a_k2', 'b_k2', 'a_k3', 'b_k3', 'a_k4', 'b_k4']);
    assert.deepEqual(policy.skippable(), [], 'handed over once');
    assert.equal(policy.next(), 'done');
    const k = figure(policy, 'k');
    assert.equal(k.state, 'reached');
    assert.equal(k.waiting, 3);
  });

  it('reads from the stored items the figures a run ended with (collect JOB)', async () => {
    const config = groupsConfig({ targets: { k: 15, i: 20, m: 30, '*': 0 }, already: { k: 5 } });
    const sizes = { k: 60, i: 60, m: 20, x: 7 };
    const { rows, items } = manifest(sizes);
    const policy = createGroupAdmission(config, rows);
    for (const item of items) policy.add(item);
    const settled = new Map<string, StoredGroupItem>();
    const recording: GroupAdmission = {
      ...policy,
      settled: (outcome) => {
        settled.set(outcome.customId, {
          customId: outcome.customId,
          state: outcome.state,
          attempts: 1,
          reasks: 0,
          missingReason: null,
          check: outcome.checkStatus === null ? null : { status: outcome.checkStatus, issues: [] },
        });
        policy.settled(outcome);
      },
    };
    drive(recording, 5, 0.3, () => seed.random());
    // The run ends the rows no group needed `target_reached`, as the engine does when it completes.
    const stored = items.map(
      (item): StoredGroupItem =>
        settled.get(item.customId) ?? {
          customId: item.customId,
          state: 'cancelled',
          attempts: 0,
          reasks: 0,
          missingReason: 'target_reached',
          check: null,
        },
    );
    const fromStore = await readStoredGroupFigures(config, toAsync(rows), toAsync(stored));
    assert.deepEqual(fromStore, policy.figures(), seed.note);
  });
});

function toAsync<T>(values: readonly T[]): AsyncIterable<T> {
  return (async function* () {
    for (const value of values) yield await Promise.resolve(value);
  })();
}
