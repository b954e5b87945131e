import type pg from 'pg';

const INT8_OID = 20;
const NUMERIC_OID = 1700;
const IDLE_IN_TRANSACTION_MS = 5_000;

/**
 * A pool of connections to `url`, answering bigints as numbers. The driver is loaded here, on a store's first call:
 * every command makes its store at start-up, and one on SQLite should not pay for loading `pg`.
 */
export async function connectPool(url: string): Promise<pg.Pool> {
  const { default: driver } = await import('pg');
  // The driver's type parsers, but `bigint` and `numeric` (what COUNT and SUM return) as JS numbers: every such value
  // the store reads is a count, a byte offset or a time in milliseconds, far below 2^53.
  const types: pg.CustomTypesConfig = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
      oid === INT8_OID || oid === NUMERIC_OID
        ? (value: string) => Number(value)
        : (driver.types.getTypeParser(oid, format ?? 'text') as unknown)) as pg.CustomTypesConfig['getTypeParser'],
  };
  const pool = new driver.Pool({
    connectionString: url,
    types,
    max: 10,
    connectionTimeoutMillis: 10_000,
    // Named in pg_stat_activity, so an operator sees which connections are batchpilot's.
    application_name: 'batchpilot',
    // A worker stopped (SIGSTOP, a partition) inside a transaction holds its slices' row locks: the server ends its
    // session after this long, so the others can take the slices over (docs/decisions/0031).
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
  });
  // An idle connection the server drops (restart, admin kill) is replaced on next use; without a listener the
  // pool's 'error' event would end the process.
  pool.on('error', () => undefined);
  return pool;
}
