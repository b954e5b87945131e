import type pg from 'pg';
import { migration0001 } from './migrations/0001-init.ts';
import { migration0002 } from './migrations/0002-work-slices.ts';
import { migration0003 } from './migrations/0003-shared-limits.ts';
import { migration0004 } from './migrations/0004-job-files.ts';
import { migration0005 } from './migrations/0005-chunk-slices.ts';
import { migration0006 } from './migrations/0006-item-prompts.ts';

/** Numbered migrations, applied in order. Kept as TS so the build needs no copy step. */
const MIGRATIONS: readonly string[] = [
  migration0001,
  migration0002,
  migration0003,
  migration0004,
  migration0005,
  migration0006,
];

/**
 * Any 64-bit number, the same in every process: the key of the advisory lock migrations run under. Its value is
 * arbitrary ("batchpilot" in ASCII, cut to 63 bits); an application sharing the database would only need another.
 */
const MIGRATION_LOCK_KEY = '7016791386543960942';

/**
 * Brings the database's schema up to date: every pending migration, in one transaction, under a transaction-scoped
 * advisory lock. Processes starting at once queue on the lock; each reads `schema_migrations` only once it holds the
 * lock, so the first applies the migrations and the others find nothing left to do. Creating `schema_migrations`
 * happens under the lock too (two `CREATE TABLE IF NOT EXISTS` at once can both fail on the catalog's unique index).
 * A failure rolls every step back: the schema is either as it was or fully migrated.
 */
export async function migrate(client: pg.ClientBase): Promise<number> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)',
    );
    const { rows } = await client.query<{ version: number | null }>(
      'SELECT MAX(version) AS version FROM schema_migrations',
    );
    const current = rows[0]?.version ?? 0;
    let applied = 0;
    for (const [index, migration] of MIGRATIONS.entries()) {
      const version = index + 1;
      if (version <= current) continue;
      await client.query(migration);
      await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [version, Date.now()]);
      applied += 1;
    }
    await client.query('COMMIT');
    return applied;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
