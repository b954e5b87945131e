import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTestJob, JOB, rejectionCode, type OpenStore, withStore } from './store-fixtures.ts';

const batch = (batchNo: number, fromRow: number, toRow: number, rows = toRow - fromRow) => ({
  sink: 'lake',
  batchNo,
  fromRow,
  toRow,
  rows,
  now: 10,
});

/** The sink outbox: a batch recorded before it is written, marked after; progress is the last done batch's end. */
export function describeSinkOutboxContract(openStore: OpenStore): void {
  describe('sink outbox', () => {
    it('a sink never written starts at row 0 with batch 1', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        assert.deepEqual(await store.sinkProgress(JOB, 'lake'), {
          nextBatchNo: 1,
          doneThroughRow: 0,
          rowsWritten: 0,
          batchesDone: 0,
        });
      });
    });

    it('counts only done batches: a pending one (a crash between record and finish) is made again', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        await store.recordSinkBatch(JOB, batch(1, 0, 100, 90));
        await store.finishSinkBatch(JOB, 'lake', 1, 11);
        await store.recordSinkBatch(JOB, batch(2, 100, 200));
        assert.deepEqual(await store.sinkProgress(JOB, 'lake'), {
          nextBatchNo: 2,
          doneThroughRow: 100,
          rowsWritten: 90,
          batchesDone: 1,
        });
        // The next run records batch 2 again (it may cover other rows now), then finishes it.
        await store.recordSinkBatch(JOB, batch(2, 100, 250, 140));
        await store.finishSinkBatch(JOB, 'lake', 2, 12);
        await store.finishSinkBatch(JOB, 'lake', 2, 13);
        assert.deepEqual(await store.sinkProgress(JOB, 'lake'), {
          nextBatchNo: 3,
          doneThroughRow: 250,
          rowsWritten: 230,
          batchesDone: 2,
        });
        // Another sink of the same job has its own progress.
        assert.equal((await store.sinkProgress(JOB, 'other')).doneThroughRow, 0);
      });
    });

    it('lists every sink of the job with its done batches, when the last was done, and the pending ones', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        assert.deepEqual(await store.sinkStatuses(JOB), []);
        await store.recordSinkBatch(JOB, batch(1, 0, 100, 90));
        await store.finishSinkBatch(JOB, 'lake', 1, 11);
        await store.recordSinkBatch(JOB, batch(2, 100, 200, 80));
        await store.finishSinkBatch(JOB, 'lake', 2, 15);
        await store.recordSinkBatch(JOB, batch(3, 200, 300));
        await store.recordSinkBatch(JOB, { ...batch(1, 0, 50), sink: 'parts' });
        assert.deepEqual(await store.sinkStatuses(JOB), [
          { sink: 'lake', rowsWritten: 170, batchesDone: 2, doneThroughRow: 200, lastDoneAt: 15, pendingBatches: 1 },
          { sink: 'parts', rowsWritten: 0, batchesDone: 0, doneThroughRow: 0, lastDoneAt: null, pendingBatches: 1 },
        ]);
        assert.deepEqual(await store.sinkStatuses('job-nope'), []);
      });
    });

    it('forgets a sink on reset, and refuses a batch of a job that does not exist', async () => {
      await withStore(openStore, async (store) => {
        await createTestJob(store);
        await store.recordSinkBatch(JOB, batch(1, 0, 10));
        await store.finishSinkBatch(JOB, 'lake', 1, 11);
        await store.resetSinkBatches(JOB, 'lake');
        assert.equal((await store.sinkProgress(JOB, 'lake')).nextBatchNo, 1);
        assert.equal(await rejectionCode(store.recordSinkBatch('job-nope', batch(1, 0, 10))), 'JOB_NOT_FOUND');
      });
    });
  });
}
