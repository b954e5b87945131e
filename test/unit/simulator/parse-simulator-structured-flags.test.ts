import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSimulatorFlags } from '../../../src/cli/commands/simulate.ts';
import { ConfigError } from '../../../src/errors/index.ts';
import { resolveSimulatorOptions } from '../../../src/simulator/index.ts';

describe('structured-answer flags and options', () => {
  it('turns the --structured-* flags into `structured` rates', () => {
    const options = parseSimulatorFlags(
      {
        structuredInvalidJson: '0.1',
        structuredSchemaBreak: '0.2',
        structuredShortText: '0',
        structuredTruncated: '0.05',
        structuredRefusal: '1',
        structuredReaskFixRate: '0.5',
      },
      {},
    );
    assert.deepEqual(options.structured, {
      invalidJson: 0.1,
      schemaBreak: 0.2,
      shortText: 0,
      truncated: 0.05,
      refusal: 1,
      reaskFixRate: 0.5,
    });
    assert.equal(parseSimulatorFlags({}, {}).structured, undefined);
  });

  it('names the flag of a bad rate', () => {
    for (const [key, flag] of [
      ['structuredInvalidJson', '--structured-invalid-json'],
      ['structuredSchemaBreak', '--structured-schema-break'],
      ['structuredShortText', '--structured-short-text'],
      ['structuredTruncated', '--structured-truncated'],
      ['structuredRefusal', '--structured-refusal'],
      ['structuredReaskFixRate', '--structured-reask-fix-rate'],
    ] as const) {
      assert.throws(
        () => parseSimulatorFlags({ [key]: '1.5' }, {}),
        (error: unknown) =>
          error instanceof ConfigError && error.code === 'CONFIG_INVALID' && error.context.flag === flag,
      );
    }
  });

  it('defaults to no faults and a re-ask fix rate of 0.8, and rejects rates outside 0..1', () => {
    assert.deepEqual(resolveSimulatorOptions().structured, {
      invalidJson: 0,
      schemaBreak: 0,
      shortText: 0,
      truncated: 0,
      refusal: 0,
      reaskFixRate: 0.8,
    });
    assert.throws(() => resolveSimulatorOptions({ structured: { truncated: -0.1 } }), /structured\.truncated/);
    assert.throws(() => resolveSimulatorOptions({ structured: { reaskFixRate: 2 } }), /structured\.reaskFixRate/);
  });
});
