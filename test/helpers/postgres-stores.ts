import { createPostgresStore } from '../../src/store/create-store.ts';
import type { SharedStore } from '../../src/store/shared-store.ts';
import type { PostgresHandle } from './start-postgres.ts';

/**
 * Runs a test on `count` stores (as many processes would open) over a database of its own on the test file's server,
 * named `${prefix}_N`; the stores are closed after it, whatever it did. `server` is read at each call: it is started
 * in the file's `before`.
 */
export function withPostgresStores(
  server: () => PostgresHandle,
  prefix: string,
): (count: number, test: (...stores: SharedStore[]) => Promise<void>) => Promise<void> {
  let databases = 0;
  return async (count, test) => {
    databases += 1;
    const url = await server().createDatabase(`${prefix}_${String(databases)}`);
    const stores = Array.from({ length: count }, () => createPostgresStore({ url }));
    try {
      await test(...stores);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  };
}
