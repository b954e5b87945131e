import { UsageError } from '../errors/index.ts';
import { isPostgresUrl } from '../store/create-store.ts';

/**
 * `--store URL`, else `BATCHPILOT_STORE`, else undefined (the workspace's SQLite store). Only a PostgreSQL URL is
 * accepted: a typo must not silently fall back to SQLite, where the job would run apart from every other worker.
 * The value is never echoed: it may hold a password, and a malformed URL is exactly where `withoutCredentials`
 * cannot tell the password from the host.
 */
export function resolveStoreUrl(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const fromFlag = flag !== undefined;
  const value = flag ?? env['BATCHPILOT_STORE'];
  if (value === undefined || (!fromFlag && value === '')) return undefined;
  if (!isPostgresUrl(value)) {
    throw new UsageError(
      'USAGE',
      `${fromFlag ? '--store' : 'BATCHPILOT_STORE'} expects a PostgreSQL URL such as ` +
        'postgres://db.example.com:5432/batchpilot (the user and password in the URL or in PGUSER and PGPASSWORD); ' +
        "the value given is not one. Leave it unset for the workspace's SQLite store",
      fromFlag ? { context: { flag: '--store' } } : { context: { key: 'BATCHPILOT_STORE' } },
    );
  }
  return value;
}
