import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { planJob, type PlanOptions } from '../../../src/plan/plan-job.ts';
import { chatBatchLines, createTempWorkspace, toJsonl, type TempWorkspace } from '../../helpers/temp-workspace.ts';

/** `planJob` with `groupOf`: each planned item counted into its group, the groups adding up to the totals. */

describe('planJob groups', () => {
  let temp: TempWorkspace;
  let input = '';
  before(async () => {
    temp = await createTempWorkspace('batchpilot-plan-groups-');
    // Lines 1-6 on a priced model, 7-9 on one without a price, line 10 not JSON (rejected, never grouped).
    const lines = [
      ...chatBatchLines(6, { prefix: 'a', model: 'gpt-4o-mini' }),
      ...chatBatchLines(3, { prefix: 'b', model: 'no-price-model' }),
      '{not json',
    ];
    input = await temp.write('input.jsonl', toJsonl(lines));
  });
  after(() => temp.remove());

  const options = (groupOf?: PlanOptions['groupOf']): PlanOptions => ({
    inputPath: input,
    parser: { format: 'auto', messagesKey: 'messages', defaults: { request: {}, extraBody: {} } },
    maxLineBytes: 1_000_000,
    limit: 0,
    chunkLimits: null,
    prices: {},
    countTokens: true,
    ...(groupOf === undefined ? {} : { groupOf }),
  });

  it('counts each item into its group; the groups add up to the totals; a group with no price has no cost', async () => {
    const asked: number[] = [];
    // Odd lines to "odd", even ones to "even", lines 7-9 (the unpriced model) to "other": asked in line order.
    const plan = await planJob(
      options(({ line }) => {
        asked.push(line);
        return Promise.resolve(line >= 7 ? 'other' : line % 2 === 1 ? 'odd' : 'even');
      }),
    );
    assert.deepEqual(asked, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(plan.rejected, 1);
    const groups = plan.groups ?? [];
    assert.deepEqual(
      groups.map((group) => [group.group, group.items]),
      [
        ['odd', 3],
        ['even', 3],
        ['other', 3],
      ],
    );
    const sum = (pick: (group: (typeof groups)[number]) => number | null): number =>
      groups.reduce((total, group) => total + (pick(group) ?? 0), 0);
    assert.equal(
      sum((group) => group.input_tokens),
      plan.tokens?.input,
    );
    assert.equal(
      sum((group) => group.output_tokens_bound),
      plan.tokens?.output_bound,
    );
    assert.equal(
      sum((group) => group.output_tokens_expected),
      plan.tokens?.output_expected,
    );
    const other = groups.find((group) => group.group === 'other');
    assert.deepEqual([other?.cost_realtime_usd, other?.unpriced_models], [null, ['no-price-model']]);
    assert.equal(typeof groups[0]?.cost_realtime_usd, 'number');
  });

  it('without groupOf there is no groups field (plan INPUT prints what it did)', async () => {
    const plan = await planJob(options());
    assert.equal('groups' in plan, false);
    assert.equal(plan.items, 9);
  });
});
