import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMAND_MODULES, createProgram } from '../../../src/cli/main.ts';

/** Decision 0036: a start loads only the command it runs, and every command is still found by its name. */

const names = async (...words: string[]): Promise<string[]> =>
  (await createProgram(['node', 'batchpilot', ...words])).commands.map((command) => command.name()).sort();

describe('the CLI loads the command it runs', () => {
  it('finds every command of the full program by its name alone', async () => {
    const all = await names('--help');
    const tabled = COMMAND_MODULES.flatMap(([commandNames]) => commandNames).sort();
    assert.deepEqual(all, tabled);
    for (const name of all) {
      const loaded = await names(name, '--json');
      assert.ok(loaded.includes(name), `${name} is loaded by its own name (got ${loaded.join(', ')})`);
      assert.ok(loaded.length <= 2, `${name} loads only its own module (got ${loaded.join(', ')})`);
    }
  });

  it('skips the values of the program options and loads nothing for --version', async () => {
    assert.deepEqual(await names('--workspace', 'run', '--store', 'list', 'status', 'job-1'), ['list', 'status']);
    assert.deepEqual(await names('--workspace=/tmp/x', 'cancel', 'job-1'), ['cancel']);
    assert.deepEqual(await names('--version'), []);
  });

  it('loads every command for help and for a name it does not know (so Commander can suggest one)', async () => {
    const all = COMMAND_MODULES.flatMap(([commandNames]) => commandNames).sort();
    assert.deepEqual(await names(), all);
    assert.deepEqual(await names('--version', '--help'), all);
    assert.deepEqual(await names('rnu', 'x.jsonl'), all);
  });
});
