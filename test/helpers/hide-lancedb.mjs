import { register } from 'node:module';

/**
 * `node --import ./test/helpers/hide-lancedb.mjs`: the process resolves `@lancedb/lancedb` as if it were not installed
 * (it is an optional dependency), so a test sees what a user without it sees.
 */
register('./hide-lancedb-hook.mjs', import.meta.url);
