import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load-config.ts';
import { BASE_URL, catchConfigError, createConfigFolder } from './config-fixtures.ts';

/** Decision 0027: `vectors:` embeds through the job's OpenAI-compatible endpoint; a provider without one is refused. */
describe('sinks vectors: and the provider', () => {
  const sink = 'sinks:\n  - { type: jsonl, dir: ./p }\n  - { type: lancedb, vectors: { from: text, model: m } }\n';

  it('is taken with provider: openai', async () => {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\n${sink}`);
    const { config } = await loadConfig({ cwd, env: {}, flags: {} });
    assert.equal(config.sinks?.[1]?.type === 'lancedb' ? config.sinks[1].vectors?.model : undefined, 'm');
  });

  for (const provider of [
    'provider: anthropic\nmode: batch',
    'provider: command\ncommand: { targets: { t: { argv: [echo] } } }',
  ]) {
    it(`is refused with ${provider.split('\n')[0] ?? ''}, naming sinks.1.vectors`, async () => {
      const cwd = await createConfigFolder(`base_url: ${BASE_URL}\n${provider}\n${sink}`);
      const error = await catchConfigError(loadConfig({ cwd, env: {}, flags: {} }));
      assert.equal(error.code, 'CONFIG_INVALID');
      assert.equal(error.context.key, 'sinks.1.vectors', error.message);
    });
  }
});
