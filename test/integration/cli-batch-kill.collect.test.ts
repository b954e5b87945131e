import { describeBatchKill } from '../helpers/describe-batch-kill.ts';
import { createTestSeed } from '../helpers/test-seed.ts';

/** Batch mode survives kill -9 at a crash while batches are polled, downloaded and closed; resume finishes the job exactly once. */
describeBatchKill(['after-poll:3', 'mid-download', 'before-close:2'], createTestSeed(import.meta.url));
