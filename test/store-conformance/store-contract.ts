import { describe } from 'node:test';
import { describeAnswerContract } from './answer-contract.ts';
import { describeBrowseContract } from './browse-contract.ts';
import { describeChunkContract } from './chunk-contract.ts';
import { describeItemContract } from './item-contract.ts';
import { describeJobContract } from './job-contract.ts';
import { describeReadContract } from './read-contract.ts';
import { describeReaskContract } from './reask-contract.ts';
import { describeSinkOutboxContract } from './sink-outbox-contract.ts';
import type { OpenStore } from './store-fixtures.ts';

export type { OpenedStore, OpenStore, StoreTestOptions } from './store-fixtures.ts';

/**
 * The store conformance suite: the `Store` contract (src/store/store.ts) as tests, written
 * against the contract alone. Every backend runs it, each test on a fresh store from
 * `openStore` (a temp workspace, a fresh schema): the SQLite store in
 * test/unit/store/sqlite-store.conformance.test.ts, a PostgreSQL one beside it later.
 * Errors are checked by `code` where the contract names one; an illegal move is checked by
 * what it leaves unchanged.
 */
export function describeStoreContract(name: string, openStore: OpenStore): void {
  describe(`Store contract: ${name}`, () => {
    describeJobContract(openStore);
    describeItemContract(openStore);
    describeChunkContract(openStore);
    describeReadContract(openStore);
    describeReaskContract(openStore);
    describeAnswerContract(openStore);
    describeSinkOutboxContract(openStore);
    describeBrowseContract(openStore);
  });
}
