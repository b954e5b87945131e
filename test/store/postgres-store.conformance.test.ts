import { after, before } from 'node:test';
import pg from 'pg';
import { createPostgresStore } from '../../src/store/create-store.ts';
import { startPostgres, type PostgresHandle } from '../helpers/start-postgres.ts';
import { describeStoreContract } from '../store-conformance/store-contract.ts';

/**
 * The store conformance suite against a real PostgreSQL server, started once for the file. Each store gets a fresh
 * database copied from a migrated template (`CREATE DATABASE ... TEMPLATE`): a copy costs a few milliseconds, where
 * migrating each fresh database would cost the schema's DDL every time.
 */
let server: PostgresHandle;
let templateUrl = '';
let next = 0;

before(async () => {
  server = await startPostgres();
  templateUrl = await server.createDatabase('conformance_template');
  const store = createPostgresStore({ url: templateUrl });
  await store.listJobs();
  await store.close();
});

after(async () => {
  await server.stop();
});

async function freshDatabase(): Promise<string> {
  next += 1;
  const name = `conformance_${String(next)}`;
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name} TEMPLATE conformance_template`);
  } finally {
    await client.end();
  }
  return templateUrl.replace(/\/conformance_template$/, `/${name}`);
}

describeStoreContract('PostgreSQL', async (options = {}) => {
  const store = createPostgresStore({ url: await freshDatabase(), ...options });
  return {
    store,
    async dispose() {
      await store.close();
    },
  };
});
