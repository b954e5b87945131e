import type pg from 'pg';
import { connectPool } from './connect-pool.ts';
import { migrate } from './migrate.ts';
import { isUnreachable, storeUnreachable } from './store-unreachable.ts';

export type Work<T> = (db: pg.ClientBase) => Promise<T>;

/**
 * pg's refusal to send a statement on a connection that had already failed. Nothing of the call was committed: a
 * statement outside a transaction was never sent, and a transaction whose session ended before its COMMIT was sent was
 * rolled back by the server.
 */
const NEVER_SENT = 'Client has encountered a connection error and is not queryable';

/** Whether `error` is pg's refusal of a statement on a connection the server had already ended (see `NEVER_SENT`). */
export function isNeverSent(error: unknown): boolean {
  return error instanceof Error && error.message === NEVER_SENT;
}

/**
 * The connections of one PostgreSQL store: a pool made on first use, the schema migrated once, and work run on a
 * connection (`run`) or in one transaction (`transaction`).
 *
 * The server may end a session while its connection is checked out: a worker stopped (SIGSTOP, a long pause) inside a
 * transaction past `idle_in_transaction_session_timeout`, a restart. A call whose connection had failed before it could
 * commit anything is run once more on a fresh connection, so a worker that wakes up goes on instead of failing on a
 * connection it could not have kept; whatever it held meanwhile is checked by that call as by any other (the slices'
 * fencing, docs/decisions/0031).
 */
export class PostgresConnections {
  /** Made on the first call (see `connectPool`). */
  private pool: Promise<pg.Pool> | undefined;
  private ready: Promise<void> | undefined;
  /** Connections given an 'error' listener (see `checkout`). */
  private readonly watched = new WeakSet<pg.PoolClient>();

  private readonly url: string;

  constructor(url: string) {
    this.url = url;
  }

  /** Work outside an explicit transaction (reads, and writes of one statement) on a connection of the pool. */
  async run<T>(work: Work<T>): Promise<T> {
    return this.onceMore(work, false);
  }

  /** `work` in one transaction: committed when it resolves, rolled back when it throws. */
  async transaction<T>(work: Work<T>): Promise<T> {
    return this.onceMore(work, true);
  }

  /** `work` once, and once more on a fresh connection when the first had failed before it could commit anything. */
  private async onceMore<T>(work: Work<T>, inTransaction: boolean): Promise<T> {
    return this.once(work, inTransaction).catch((error: unknown) => {
      if (!isNeverSent(error)) throw error;
      return this.once(work, inTransaction);
    });
  }

  /** Ends the pool's connections. */
  async close(): Promise<void> {
    await (await this.pool)?.end();
  }

  private async once<T>(work: Work<T>, inTransaction: boolean): Promise<T> {
    const client = await this.connect();
    let failure: Error | undefined;
    try {
      if (!inTransaction) return await work(client);
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      if (inTransaction) await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      // A connection that failed is dropped, not pooled: the server may have ended it (see `checkout`).
      client.release(failure);
    }
  }

  /** A connection of a migrated database; `STORE_UNREACHABLE` when the server cannot be reached. */
  private async connect(): Promise<pg.PoolClient> {
    this.ready ??= this.migrateOnce();
    await this.ready;
    return this.checkout();
  }

  private async checkout(): Promise<pg.PoolClient> {
    try {
      this.pool ??= connectPool(this.url);
      const client = await (await this.pool).connect();
      // A checked-out connection the server ends emits 'error', which with no listener ends the process. The statement
      // under way fails with it, or the next one with `NEVER_SENT`, and the caller sees that failure.
      if (!this.watched.has(client)) {
        this.watched.add(client);
        client.on('error', () => undefined);
      }
      return client;
    } catch (error) {
      throw isUnreachable(error) ? storeUnreachable(this.url, error) : error;
    }
  }

  /** The schema migrated once per store; a failed attempt is tried again by the next call. */
  private async migrateOnce(): Promise<void> {
    try {
      const client = await this.checkout();
      try {
        await migrate(client);
      } finally {
        client.release();
      }
    } catch (error) {
      this.ready = undefined;
      throw error;
    }
  }
}
