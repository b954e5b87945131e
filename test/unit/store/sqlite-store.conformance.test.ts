import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore } from '../../../src/store/create-store.ts';
import { describeStoreContract } from '../../store-conformance/store-contract.ts';

describeStoreContract('SQLite', async (options = {}) => {
  const workspace = await mkdtemp(join(tmpdir(), 'bp-conformance-'));
  const store = createStore({ workspace, ...options });
  return {
    store,
    async dispose() {
      await store.close();
      await rm(workspace, { recursive: true, force: true });
    },
  };
});
