import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createPostgresStore } from '../../src/store/create-store.ts';
import { migrate } from '../../src/store/postgres/migrate.ts';
import { startPostgres, type PostgresHandle } from '../helpers/start-postgres.ts';

/** Processes starting at once against one new database: each migrates, the schema is migrated once. */
describe('PostgreSQL store migrations', () => {
  let server: PostgresHandle;
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server.stop();
  });

  async function versions(url: string): Promise<number[]> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ version: number }>(
        'SELECT version FROM schema_migrations ORDER BY version',
      );
      return rows.map((row) => row.version);
    } finally {
      await client.end();
    }
  }

  it('migrates an empty database once when several connections migrate it at the same moment', async () => {
    const url = await server.createDatabase('racing');
    const clients = Array.from({ length: 6 }, () => new pg.Client({ connectionString: url }));
    await Promise.all(clients.map((client) => client.connect()));
    try {
      const applied = await Promise.all(clients.map((client) => migrate(client)));
      const latest = (await versions(url)).at(-1) ?? 0;
      assert.equal(
        applied.reduce((sum, count) => sum + count, 0),
        latest,
        'every migration applied by exactly one connection',
      );
      assert.deepEqual(
        await versions(url),
        Array.from({ length: latest }, (_, index) => index + 1),
      );
      assert.deepEqual(await Promise.all(clients.map((client) => migrate(client))), [0, 0, 0, 0, 0, 0]);
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
  });

  it('lets two stores opened at once on a new database both work on one schema', async () => {
    const url = await server.createDatabase('two_stores');
    const first = createPostgresStore({ url });
    const second = createPostgresStore({ url });
    try {
      const job = {
        inputPath: '/data/in.jsonl',
        inputFingerprint: { size: 1, sample: 'a' },
        config: { concurrency: 1, mode: 'realtime', input: { format: 'openai_batch' } },
        outDir: '/data/out',
        now: 1,
      } as const;
      await Promise.all([first.createJob({ ...job, id: 'a' }), second.createJob({ ...job, id: 'b' })]);
      assert.deepEqual(
        (await first.listJobs()).map((listed) => listed.id),
        ['a', 'b'],
      );
      const applied = await versions(url);
      assert.deepEqual(
        applied,
        applied.map((_, index) => index + 1),
        'each version applied once',
      );
    } finally {
      await first.close();
      await second.close();
    }
  });
});
