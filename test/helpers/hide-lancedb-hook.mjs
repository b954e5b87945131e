/** The resolve hook of hide-lancedb.mjs: `@lancedb/lancedb` cannot be found, as when it is not installed. */
export async function resolve(specifier, context, nextResolve) {
  if (specifier === '@lancedb/lancedb' || specifier.startsWith('@lancedb/lancedb/')) {
    throw Object.assign(new Error(`Cannot find package '${specifier}'`), { code: 'ERR_MODULE_NOT_FOUND' });
  }
  return nextResolve(specifier, context);
}
