import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { estimateGroupEta, formatGroupEta, type GroupEtaInput } from '../../../src/compose/status/group-eta.ts';
import { readJobStatus } from '../../../src/compose/status/job-status.ts';
import { createStore } from '../../../src/store/create-store.ts';
import type { ItemUpdate } from '../../../src/store/store.ts';

/** Issue 13 §3: a group's ETA is its remaining need over its recent valid-answer rate; a sink's lag, from the outbox. */

const RUNNING: GroupEtaInput = {
  target: 150,
  already: 64,
  validRows: 26,
  open: 200,
  recentValid: 30,
  recentSettled: 40,
  windowS: 60,
  running: true,
  inputFullyRead: true,
};

describe('estimateGroupEta', () => {
  it('divides the need left (target − already − valid) by the valid answers per second lately', () => {
    // 150 − 64 − 26 = 60 rows at 30 per 60 s = 0.5/s: 120 s.
    assert.deepEqual(estimateGroupEta(RUNNING), { state: 'estimated', seconds: 120 });
    assert.deepEqual(estimateGroupEta({ ...RUNNING, recentValid: 7 }), { state: 'estimated', seconds: 515 });
  });

  it('a group without target is done when its open rows are settled, at its settled rate', () => {
    assert.deepEqual(estimateGroupEta({ ...RUNNING, target: 0, open: 100 }), { state: 'estimated', seconds: 150 });
    assert.deepEqual(estimateGroupEta({ ...RUNNING, target: 0, open: 0 }), { state: 'done', seconds: null });
  });

  it('is done once the target is reached, whatever is still open (those rows end skipped)', () => {
    assert.deepEqual(estimateGroupEta({ ...RUNNING, validRows: 86 }), { state: 'done', seconds: null });
    assert.deepEqual(estimateGroupEta({ ...RUNNING, validRows: 90, running: false }), {
      state: 'done',
      seconds: null,
    });
  });

  it('is short when nothing is left to send below target, once the input is read whole', () => {
    assert.deepEqual(estimateGroupEta({ ...RUNNING, open: 0 }), { state: 'short', seconds: null });
    assert.deepEqual(estimateGroupEta({ ...RUNNING, open: 0, inputFullyRead: false }), {
      state: 'unknown',
      seconds: null,
    });
  });

  it('is unknown when nothing came in lately, the job is not running, or the valid rows are not known live', () => {
    for (const input of [
      { ...RUNNING, recentValid: 0 },
      { ...RUNNING, running: false },
      { ...RUNNING, validRows: null },
      { ...RUNNING, validRows: null, open: 0 },
      { ...RUNNING, windowS: 0 },
    ]) {
      assert.deepEqual(estimateGroupEta(input), { state: 'unknown', seconds: null }, JSON.stringify(input));
    }
  });

  it('formats as the views show it', () => {
    const shown = [0, 42, 60, 190, 3599, 3600, 3900].map((seconds) => formatGroupEta({ state: 'estimated', seconds }));
    assert.deepEqual(shown, ['0s', '42s', '1m00s', '3m10s', '59m59s', '1h00m', '1h05m']);
    assert.equal(formatGroupEta({ state: 'unknown', seconds: null }), '—');
    assert.equal(formatGroupEta({ state: 'short', seconds: null }), 'short');
    assert.equal(formatGroupEta({ state: 'done', seconds: null }), 'done');
  });
});

describe('readJobStatus of a data job with groups and a sink, at a fixed clock', () => {
  it('gives each group its ETA from the answers of the last minute, and each sink its rows, batches and lag', async () => {
    const workspace = await mkdtemp(join(tmpdir(), 'batchpilot-group-eta-'));
    const store = createStore({ workspace });
    try {
      const start = 1_000_000;
      const now = start + 120_000;
      await store.createJob({
        id: 'g',
        inputPath: join(workspace, 'requests.jsonl'),
        inputFingerprint: { size: 100, sample: 'x' },
        config: {
          mode: 'realtime',
          groups: { targets: { korean: 20, mural: 0 }, already: { korean: 4 } },
          sinks: [{ name: 'lake', type: 'jsonl', dir: 'parts', rows: 'valid', every: 5 }],
        },
        outDir: join(workspace, 'out'),
        now: start,
      });
      await store.acquireLease('g', { pid: process.pid, host: 'h', token: 't', heartbeatAt: now }, 10 ** 12);
      await store.setJobState('g', 'running');
      // korean: items 0-29, mural: 30-39.
      const items = Array.from({ length: 40 }, (_, seq) => ({
        seq,
        customId: `c${String(seq)}`,
        lineNo: seq + 1,
        byteOffset: seq * 10,
        byteLength: 9,
        raw: '{}',
        group: seq < 30 ? 'korean' : 'mural',
      }));
      await store.ingest('g', { items, rejects: [], position: { byte: 400, line: 40, seq: 40, done: true }, limit: 0 });
      const answer = (seq: number, at: number, status: 'valid' | 'invalid'): ItemUpdate => ({
        seq,
        state: 'succeeded',
        attempts: 1,
        statusCode: 200,
        requestId: null,
        body: '{}',
        completedAt: at,
        check: { status, value: {}, issues: [] },
      });
      const updates: ItemUpdate[] = [
        // korean: 2 valid long ago, 6 valid and 2 invalid within the last minute; mural: 4 settled lately.
        answer(0, start, 'valid'),
        answer(1, start, 'valid'),
        ...[2, 3, 4, 5, 6, 7].map((seq) => answer(seq, now - 10_000, 'valid')),
        answer(8, now - 5_000, 'invalid'),
        answer(9, now - 5_000, 'invalid'),
        ...[30, 31, 32, 33].map((seq) => answer(seq, now - 1_000, 'valid')),
      ];
      await store.commitProgress([{ jobId: 'g', attempts: [], updates }]);
      await store.recordSinkBatch('g', { sink: 'lake', batchNo: 1, fromRow: 0, toRow: 6, rows: 5, now: now - 3_000 });
      await store.finishSinkBatch('g', 'lake', 1, now - 2_000);
      await store.recordSinkBatch('g', { sink: 'lake', batchNo: 2, fromRow: 6, toRow: 12, rows: 5, now: now - 500 });

      const job = (await store.getJob('g'))!;
      const status = await readJobStatus(store, job, now, { answersAreRows: true });
      const groups = Object.fromEntries((status.groups ?? []).map((group) => [group.group, group]));
      // korean needs 20 − 4 − 8 = 8 more at 6 valid per 60 s: 80 s. mural: 6 open at 4 settled per 60 s: 90 s.
      assert.deepEqual(
        [groups['korean']?.eta, groups['korean']?.eta_s, groups['korean']?.recent_valid_per_s],
        ['estimated', 80, 0.1],
      );
      assert.deepEqual([groups['mural']?.eta, groups['mural']?.eta_s], ['estimated', 90]);
      assert.deepEqual(status.sinks, [
        {
          name: 'lake',
          rows: 'valid',
          rows_written: 5,
          batches: 1,
          done_through_row: 6,
          pending_batches: 1,
          last_batch_at: new Date(now - 2_000).toISOString(),
          last_batch_age_s: 2,
          // 12 valid answers settled (8 korean, 4 mural), 5 in the sink.
          lag_rows: 7,
        },
      ]);

      // Rows that make several requests: the answers are not rows, so neither the ETA nor the lag is known.
      const unknown = await readJobStatus(store, job, now);
      assert.deepEqual(
        (unknown.groups ?? []).map((group) => group.eta),
        ['unknown', 'estimated'],
      );
      assert.equal(unknown.sinks?.[0]?.lag_rows, null);
    } finally {
      await store.close();
      await rm(workspace, { recursive: true, force: true });
    }
  });
});
