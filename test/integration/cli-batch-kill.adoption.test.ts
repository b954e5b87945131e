import { describeBatchKill } from '../helpers/describe-batch-kill.ts';
import { createTestSeed } from '../helpers/test-seed.ts';

/** Batch mode survives kill -9 at a crash between a remote call (upload, create) and its commit, repaired by adopting the orphan; resume finishes the job exactly once. */
describeBatchKill(['after-upload:2', 'after-create:2'], createTestSeed(import.meta.url));
