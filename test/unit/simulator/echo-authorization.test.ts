import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSimulatorFlags } from '../../../src/cli/commands/simulate.ts';
import { ConfigError } from '../../../src/errors/index.ts';
import { drawsEcho, echoAuthorization } from '../../../src/simulator/echo-authorization.ts';

/** The simulator's `--echo-auth` fault: what a careless endpoint quoting the request back sends. */
describe('echo-authorization fault', () => {
  const authorization = 'Bearer key-0123456789';

  it('quotes the header in an error message and as the bare value in error.echo', () => {
    const body = JSON.parse(
      echoAuthorization(JSON.stringify({ error: { message: 'bad', type: 'x' } }), authorization),
    ) as { error: { message: string; echo: string } };
    assert.ok(body.error.message.includes(`Authorization: ${authorization}`));
    assert.equal(body.error.echo, 'key-0123456789');
  });

  it('adds it as echo to a 200 body, and leaves a body that is not JSON alone', () => {
    assert.equal((JSON.parse(echoAuthorization('{"id":"x"}', authorization)) as { echo: string }).echo, authorization);
    assert.equal(echoAuthorization('not json', authorization), 'not json');
  });

  it('draws at its rate from the seed and the sequence alone', () => {
    const seed = 5;
    const draws = Array.from({ length: 1000 }, (_, sequence) => drawsEcho(0.3, seed, sequence));
    const share = draws.filter(Boolean).length / draws.length;
    assert.ok(share > 0.25 && share < 0.35, `share ${String(share)} (seed ${String(seed)})`);
    assert.deepEqual(
      draws,
      Array.from({ length: 1000 }, (_, sequence) => drawsEcho(0.3, seed, sequence)),
    );
    assert.equal(drawsEcho(0, seed, 1), false);
  });

  it('--echo-auth takes a rate from 0 to 1', () => {
    assert.equal(parseSimulatorFlags({ echoAuth: '0.5' }, {}).echoAuthRate, 0.5);
    assert.throws(
      () => parseSimulatorFlags({ echoAuth: '2' }, {}),
      (error: unknown) => error instanceof ConfigError && error.context.flag === '--echo-auth',
    );
  });
});
