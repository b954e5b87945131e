import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { isNeverSent, PostgresConnections } from '../../src/store/postgres/postgres-connections.ts';
import { startPostgres, type PostgresHandle } from '../helpers/start-postgres.ts';

/**
 * A session the server ends while the store holds its connection (a worker stopped past
 * idle_in_transaction_session_timeout wakes to this): the call whose connection failed before it could commit is run
 * once more on a fresh connection; any other failure, and a second one, reach the caller.
 */
describe('PostgreSQL connections whose session the server ends', () => {
  let server: PostgresHandle;
  let admin: pg.Client;
  let connections: PostgresConnections;

  before(async () => {
    server = await startPostgres();
    const url = await server.createDatabase('connections');
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query('CREATE TABLE marks (mark text NOT NULL)');
    connections = new PostgresConnections(url);
  });

  after(async () => {
    await connections.close();
    await admin.end();
    await server.stop();
  });

  /** Ends `db`'s session from another connection, and waits until `db` has seen it end. */
  async function endSession(db: pg.ClientBase): Promise<void> {
    const ended = once(db as pg.Client, 'error');
    const { rows } = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    await ended;
  }

  async function marks(): Promise<string[]> {
    const { rows } = await admin.query<{ mark: string }>('SELECT mark FROM marks ORDER BY mark');
    await admin.query('DELETE FROM marks');
    return rows.map((row) => row.mark);
  }

  it('runs a transaction again when its session ended before COMMIT; the first run is rolled back', async () => {
    let runs = 0;
    const result = await connections.transaction(async (db) => {
      runs += 1;
      await db.query('INSERT INTO marks VALUES ($1)', [`run ${String(runs)}`]);
      if (runs === 1) await endSession(db);
      await db.query('INSERT INTO marks VALUES ($1)', [`run ${String(runs)} again`]);
      return runs;
    });
    assert.equal(result, 2);
    assert.deepEqual(await marks(), ['run 2', 'run 2 again']);
  });

  it('runs a statement again whose connection had failed before it was sent', async () => {
    let runs = 0;
    await connections.run(async (db) => {
      runs += 1;
      if (runs === 1) await endSession(db);
      await db.query('INSERT INTO marks VALUES ($1)', [`run ${String(runs)}`]);
    });
    assert.equal(runs, 2);
    assert.deepEqual(await marks(), ['run 2']);
  });

  it('passes a second such failure, and any other failure, to the caller without running it again', async () => {
    let runs = 0;
    const error = await connections
      .transaction(async (db) => {
        runs += 1;
        await endSession(db);
        await db.query('SELECT 1');
      })
      .catch((thrown: unknown) => thrown);
    assert.ok(isNeverSent(error), String(error));
    assert.equal(runs, 2);

    runs = 0;
    await assert.rejects(
      connections.transaction(async (db) => {
        runs += 1;
        await db.query('INSERT INTO marks VALUES ($1)', ['rolled back']);
        await db.query('SELECT * FROM no_such_table');
      }),
      /no_such_table/,
    );
    assert.equal(runs, 1);
    assert.deepEqual(await marks(), []);
    // The store goes on with fresh connections after all of it.
    const { rows } = await connections.run(async (db) => db.query<{ one: number }>('SELECT 1 AS one'));
    assert.equal(rows[0]?.one, 1);
  });
});
