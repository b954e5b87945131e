import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { StoreError } from '../../src/errors/index.ts';
import { createPostgresStore } from '../../src/store/create-store.ts';
import { startPostgres, type PostgresHandle } from '../helpers/start-postgres.ts';

const PASSWORD = 'pw-never-shown-81f3';

/** A port of 127.0.0.1 nothing listens on (taken, then let go). */
async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The error a first call on the store rejects with. */
async function firstFailure(url: string): Promise<StoreError> {
  const store = createPostgresStore({ url });
  try {
    await store.listJobs();
  } catch (error) {
    assert.ok(error instanceof StoreError, `a StoreError, got ${String(error)}`);
    return error;
  } finally {
    await store.close();
  }
  throw new Error('expected the store to be unreachable');
}

function assertNoPassword(error: StoreError): void {
  const shown = [error.message, JSON.stringify(error), String(error.cause), error.stack ?? ''].join('\n');
  assert.ok(!shown.includes(PASSWORD), `the password leaked: ${shown}`);
}

describe('PostgreSQL store that cannot be reached', () => {
  let server: PostgresHandle;
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server.stop();
  });

  it('is STORE_UNREACHABLE (exit 2) naming host and database, never the password, when no server listens', async () => {
    const port = await closedPort();
    const error = await firstFailure(`postgres://bp:${PASSWORD}@127.0.0.1:${String(port)}/jobs_db`);
    assert.equal(error.code, 'STORE_UNREACHABLE');
    assert.equal(error.exitCode, 2);
    assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${String(port)}`));
    assert.match(error.message, /jobs_db/);
    assertNoPassword(error);
  });

  it('is STORE_UNREACHABLE when the server has no such database', async () => {
    const url = server.url.replace('bp@', `bp:${PASSWORD}@`).replace(/\/postgres$/, '/no_such_db');
    const error = await firstFailure(url);
    assert.equal(error.code, 'STORE_UNREACHABLE');
    assert.match(error.message, /no_such_db/);
    assertNoPassword(error);
  });

  it('works once the database is there: a failed first connection is tried again', async () => {
    const url = server.url.replace(/\/postgres$/, '/later_db');
    const store = createPostgresStore({ url });
    try {
      await assert.rejects(store.listJobs(), { code: 'STORE_UNREACHABLE' });
      await server.createDatabase('later_db');
      assert.deepEqual(await store.listJobs(), []);
    } finally {
      await store.close();
    }
  });
});
