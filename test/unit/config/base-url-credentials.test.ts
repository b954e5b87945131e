import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load-config.ts';
import { catchConfigError, createConfigFolder } from './config-fixtures.ts';

/**
 * Issue 10 section 2: a `user:password@` in base_url would be stored with the job and shown by `status`; it is refused
 * at load (CONFIG_INVALID naming base_url), and the message shows neither the password nor the user:password pair.
 */
describe('base_url with credentials', () => {
  for (const where of ['file', 'flag', 'env'] as const) {
    it(`is refused from the ${where}, without showing the password`, async () => {
      const url = 'https://alice:s3cret-Passw0rd@example.com/v1';
      const cwd = await createConfigFolder(where === 'file' ? `base_url: ${url}\n` : '');
      const error = await catchConfigError(
        loadConfig({
          cwd,
          env: where === 'env' ? { BATCHPILOT_BASE_URL: url } : {},
          flags: where === 'flag' ? { baseUrl: url } : {},
        }),
      );
      assert.equal(error.code, 'CONFIG_INVALID');
      assert.equal(error.context.key, 'base_url');
      assert.ok(!error.message.includes('s3cret-Passw0rd'), error.message);
    });
  }

  it('a base_url without credentials still loads', async () => {
    const cwd = await createConfigFolder('base_url: https://example.com/v1\n');
    const loaded = await loadConfig({ cwd, env: {}, flags: {} });
    assert.equal(loaded.config.base_url, 'https://example.com/v1');
  });
});
