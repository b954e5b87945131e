/**
 * The one redaction function (SPEC §4, STYLE guideline 10). Every output path
 * (logger serializers, error formatting, status JSON, reports, `logs`) passes
 * its text through `redactSecrets(text, knownSecrets())`, so a key loaded once
 * by the config layer is masked everywhere as `***`.
 *
 * Two kinds of masking, applied in this order:
 * 1. known secrets: every occurrence of a registered or passed-in value;
 * 2. patterns, for keys we were never told about: `Authorization` headers,
 *    `api-key` / `x-api-key` / `api_key` values, `--api-key VALUE`, the
 *    `user:password@` of a URL, and OpenAI-style `sk-...` keys.
 */

const MASK = '***';

/** Shorter values would mask ordinary words and digits all over the output. */
const MIN_SECRET_LENGTH = 4;

/** Header and field names whose values are always masked, compared lowercased with `-` and `_` removed. */
const SECRET_KEY_NAMES = new Set(['authorization', 'proxyauthorization', 'apikey', 'xapikey']);

const registry = new Set<string>();

/** Remembers a secret (an API key once it is loaded) so every later `knownSecrets()` call masks it. */
export function registerSecret(secret: string): void {
  if (secret.length < MIN_SECRET_LENGTH || registry.has(secret)) return;
  registry.add(secret);
  known = null;
}

/** The registry as an array, made again only when a secret is added: the same array is then a cache key below. */
let known: readonly string[] | null = null;

/** The secrets registered so far in this process, for `redactSecrets(text, knownSecrets())`. */
export function knownSecrets(): readonly string[] {
  return (known ??= Object.freeze([...registry]));
}

/** Value characters of a header or field: stops at quotes, spaces and JSON punctuation; a JSON `null` stays. */
const VALUE = `(?!null\\b)[^\\s"',;}]+`;

const PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  // `--api-key VALUE` and `--api-key=VALUE` on command lines (before the api-key rule, which would keep the `=`).
  [/--api-key(?:=|\s+)(?!\*\*\*)\S+/gi, `--api-key ${MASK}`],
  // `Authorization: Bearer xxx`, `"authorization":"Bearer xxx"`, and schemeless `Authorization: xxx`.
  [new RegExp(`(authorization["']?\\s*[:=]\\s*["']?(?:(?:bearer|basic|token)\\s+)?)${VALUE}`, 'gi'), `$1${MASK}`],
  // `api-key: x`, `x-api-key: x`, `"api_key":"x"`, `apiKey=x`, `OPENAI_API_KEY=x` (not `api_key_env`, which names a variable).
  [new RegExp(`((?:x-)?api[-_]?key["']?\\s*[:=]\\s*["']?)${VALUE}`, 'gi'), `$1${MASK}`],
  // `https://user:password@host`: the user info of any URL (a base_url of a job stored before it was refused).
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@"'<>]+@/gi, `$1${MASK}@`],
  // The lookbehind keeps ids such as `task-0123456789abcdef0` intact.
  [/(?<![A-Za-z0-9_-])sk-[A-Za-z0-9_-]{16,}/g, `sk-${MASK}`],
];

const variantCache = new Map<string, readonly string[]>();

/**
 * A secret as an echoing endpoint may write it back: as is, escaped inside a JSON string
 * (`\"`, `\\`, and `\/` as PHP writes `/`), and percent-encoded as in a URL.
 */
function secretVariants(secret: string): readonly string[] {
  const cached = variantCache.get(secret);
  if (cached !== undefined) return cached;
  const json = JSON.stringify(secret).slice(1, -1);
  const variants = [...new Set([secret, json, json.replaceAll('/', '\\/'), encodeURIComponent(secret)])];
  if (variantCache.size < 1000) variantCache.set(secret, variants);
  return variants;
}

/**
 * The strings to mask for a list of secrets: each usable secret in every form it may be quoted in, longest first (so
 * a secret that contains another is masked whole). Kept per list: redaction runs on every answer, and the callers hold
 * their list (a provider's secrets, `knownSecrets()`), so this is worked out once, not per call.
 */
const needleCache = new WeakMap<readonly string[], readonly string[]>();

function needlesOf(secrets: readonly string[]): readonly string[] {
  const cached = needleCache.get(secrets);
  if (cached !== undefined) return cached;
  const needles = secrets
    .filter((secret) => secret.length >= MIN_SECRET_LENGTH)
    .flatMap(secretVariants)
    .sort((a, b) => b.length - a.length);
  // A frozen list cannot change under its cache entry; a caller's own array might, so only frozen ones are kept.
  if (Object.isFrozen(secrets)) needleCache.set(secrets, needles);
  return needles;
}

export interface RedactOptions {
  /**
   * Also mask the key patterns (`Authorization: ...`, `api_key=...`, `sk-...`). Off for
   * model answers, whose text may rightly hold code such as `api_key="..."`: there only
   * the known secrets are masked. @default true
   */
  patterns?: boolean;
}

/**
 * Masks every occurrence of each secret (values shorter than 4 characters are
 * ignored; JSON-escaped and percent-encoded spellings too) and, unless
 * `patterns: false`, every known key pattern with `***`.
 */
export function redactSecrets(text: string, secrets: readonly string[], options: RedactOptions = {}): string {
  let redacted = text;
  for (const secret of needlesOf(secrets)) {
    if (redacted.includes(secret)) redacted = redacted.split(secret).join(MASK);
  }
  if (options.patterns === false) return redacted;
  for (const [pattern, replacement] of PATTERNS) redacted = redacted.replace(pattern, replacement);
  return redacted;
}

/**
 * `redactSecrets` for an answer kept as bytes (a large one, never decoded: see the realtime provider). Each known
 * secret is overwritten in place with `*` of its own length, so the bytes stay valid JSON and no copy is made of a
 * body that may be tens of megabytes; the key patterns are not applied, as for any answer.
 */
export function redactSecretBytes<T extends Uint8Array>(bytes: T, secrets: readonly string[]): T {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const secret of needlesOf(secrets)) {
    const needle = Buffer.from(secret);
    for (let at = buffer.indexOf(needle); at !== -1; at = buffer.indexOf(needle, at + needle.length)) {
      buffer.fill(0x2a, at, at + needle.length);
    }
  }
  return bytes;
}

function isSecretKeyName(key: string): boolean {
  return SECRET_KEY_NAMES.has(key.toLowerCase().replace(/[-_]/g, ''));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

function redactValue(value: unknown, secrets: readonly string[], seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactSecrets(value, secrets);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((element) => redactValue(element, secrets, seen));
    if (value instanceof Error) {
      // Errors carry their text in non-enumerable fields; copy them out so they are redacted too.
      const copy: Record<string, unknown> = { name: value.name, message: value.message, stack: value.stack };
      for (const [key, field] of Object.entries(value)) copy[key] = field;
      return redactEntries(copy, secrets, seen);
    }
    if (isPlainObject(value)) return redactEntries(value, secrets, seen);
    return value;
  } finally {
    seen.delete(value);
  }
}

function redactEntries(
  value: Record<string, unknown>,
  secrets: readonly string[],
  seen: WeakSet<object>,
): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    // null/undefined stay as they are: "no key" must not read as "a key, masked".
    copy[key] =
      isSecretKeyName(key) && field !== null && field !== undefined ? MASK : redactValue(field, secrets, seen);
  }
  return copy;
}

/**
 * A deep copy of `value` with every string redacted by `redactSecrets` and the
 * values of fields named like `authorization`, `api_key`, `apiKey`,
 * `x-api-key` or `api-key` replaced by `***`. Plain objects, arrays and errors
 * are copied (an error becomes a plain object with `name`, `message`, `stack`);
 * other objects are returned as they are.
 */
export function redactObject<T>(value: T, secrets: readonly string[]): T {
  return redactValue(value, secrets, new WeakSet()) as T;
}
