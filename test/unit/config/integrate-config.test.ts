import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configSchema, integrateConfigSchema } from '../../../src/config/config-schema.ts';

describe('config: integrate', () => {
  it('is optional; its defaults: nested fields, no meta, full coverage required, out and format unset', () => {
    assert.equal(configSchema.parse({}).integrate, undefined);
    const defaults = { fields: 'nested', meta: false, min_coverage: 1 };
    assert.deepEqual(integrateConfigSchema.parse({}), defaults);
    assert.deepEqual(configSchema.parse({ integrate: {} }).integrate, defaults);
  });

  it('takes every key, and refuses a bad value or an unknown key at its path', () => {
    const integrate = { out: 'posts.parquet', format: 'parquet', fields: 'flat', meta: true, min_coverage: 0.95 };
    assert.deepEqual(configSchema.parse({ integrate }).integrate, integrate);
    for (const bad of [
      { format: 'xlsx' },
      { fields: 'deep' },
      { min_coverage: 1.5 },
      { min_coverage: -0.1 },
      { out: '' },
      { metas: true },
    ]) {
      const result = configSchema.safeParse({ integrate: bad });
      assert.equal(result.success, false, JSON.stringify(bad));
      assert.equal(result.error?.issues[0]?.path[0], 'integrate', JSON.stringify(bad));
    }
  });
});
