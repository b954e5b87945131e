import { StoreError } from '../../errors/index.ts';
import { withoutCredentials } from '../../util/without-credentials.ts';

/**
 * Node's codes for a server that cannot be reached, and PostgreSQL's SQLSTATEs for one that will not take this
 * connection (unknown database, refused login, starting up or shutting down, too many connections).
 */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  '3D000',
  '28000',
  '28P01',
  '57P03',
  '53300',
]);

/** Whether `error`, thrown while connecting, says the database cannot be reached (not a bug of ours). */
export function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
  // pg's own connect timeout and a socket closed during the handshake carry no code.
  const message = error instanceof Error ? error.message : '';
  return /timeout|Connection terminated/i.test(message);
}

/** Host, port and database of a connection URL, never its user or password (for messages). */
export function describeDatabase(url: string): string {
  try {
    const parsed = new URL(url);
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || '(default database)';
    return `database "${database}" on ${parsed.host || 'the local socket'}`;
  } catch {
    return `database ${withoutCredentials(url)}`;
  }
}

/** `STORE_UNREACHABLE`: the store's database cannot be reached; its message names host and database, no password. */
export function storeUnreachable(url: string, cause: unknown): StoreError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new StoreError(
    'STORE_UNREACHABLE',
    `cannot reach the store's ${describeDatabase(url)}: ${stripSecrets(reason, url)}; nothing was changed. Check that the server runs and the URL is right`,
    { cause: stripSecretsFromError(cause, url) },
  );
}

/** The password of `url`, if any, taken out of a driver message (pg never prints it; this makes sure). */
function stripSecrets(text: string, url: string): string {
  let password: string;
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    return withoutCredentials(text);
  }
  return password === '' ? text : text.replaceAll(password, '***');
}

/** The cause kept for logs, without the password in its message. */
function stripSecretsFromError(cause: unknown, url: string): unknown {
  if (!(cause instanceof Error)) return cause;
  const cleaned = stripSecrets(cause.message, url);
  if (cleaned === cause.message) return cause;
  const copy = new Error(cleaned);
  Object.assign(copy, { code: (cause as { code?: unknown }).code });
  return copy;
}
