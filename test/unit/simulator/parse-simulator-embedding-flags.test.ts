import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSimulatorFlags } from '../../../src/cli/commands/simulate.ts';
import { ConfigError } from '../../../src/errors/index.ts';

describe('parseSimulatorFlags: embeddings', () => {
  it('reads --embedding-dimensions and --fail-embeddings', () => {
    const options = parseSimulatorFlags({ embeddingDimensions: '32', failEmbeddings: '0.25' }, {});
    assert.equal(options.embeddingDimensions, 32);
    assert.equal(options.embeddingErrorRate, 0.25);
  });

  for (const [flags, flag] of [
    [{ embeddingDimensions: '0' }, '--embedding-dimensions'],
    [{ embeddingDimensions: '70000' }, '--embedding-dimensions'],
    [{ failEmbeddings: '2' }, '--fail-embeddings'],
  ] as const) {
    it(`refuses ${JSON.stringify(flags)} naming ${flag}`, () => {
      assert.throws(
        () => parseSimulatorFlags(flags, {}),
        (error: unknown) =>
          error instanceof ConfigError && error.code === 'CONFIG_INVALID' && error.context.flag === flag,
      );
    });
  }
});
