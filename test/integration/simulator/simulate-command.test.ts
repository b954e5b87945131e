import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { spawnOwned } from '../../helpers/spawn-owned.ts';

// There is no bin entry to run yet from this folder's point of view, so a tiny program mounts the command alone.
const program = `
import { Command } from 'commander';
import { registerSimulateCommand } from './src/cli/commands/simulate.ts';
const program = new Command('batchpilot').option('--json');
registerSimulateCommand(program);
await program.parseAsync(process.argv.slice(1), { from: 'user' });
`;

describe('batchpilot simulate', () => {
  it('prints its address as JSON, serves, and exits 0 on SIGTERM', async () => {
    const child = spawnOwned(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        program,
        'simulate',
        '--port',
        '0',
        '--json',
        '--api-key-env',
        'SIM_TEST_KEY',
      ],
      {
        cwd: new URL('../../../', import.meta.url),
        env: { ...process.env, SIM_TEST_KEY: 'sk-cli-secret' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const lines = createInterface({ input: child.stdout });
    const [firstLine] = (await once(lines, 'line')) as [string];
    const announcement = JSON.parse(firstLine) as { baseUrl: string; apiKeyRequired: boolean };
    assert.match(announcement.baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    assert.equal(announcement.apiKeyRequired, true);
    assert.ok(!firstLine.includes('sk-cli-secret'));

    const answer = await fetch(`${announcement.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-cli-secret', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(answer.status, 200);
    await answer.text();

    child.kill('SIGTERM');
    const [exitCode] = (await once(child, 'exit')) as [number | null];
    assert.equal(exitCode, 0, stderr);
    assert.ok(!stderr.includes('sk-cli-secret'));
  });
});
