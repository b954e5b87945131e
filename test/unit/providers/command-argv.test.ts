import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { findSecretArgValues, formatCommandPreview } from '../../../src/providers/command/command-preview.ts';
import { fillArgvTemplate } from '../../../src/providers/command/fill-argv-template.ts';
import { taskFilePaths, taskFileStem } from '../../../src/providers/command/task-file-names.ts';

const BUILT_INS = { custom_id: 'task-1', output_path: '/jobs/j/tasks/task-1-abc.out.json', attempt: 2 };

describe('fillArgvTemplate', () => {
  it('fills placeholders inside arguments, each argument staying one argument', () => {
    const filled = fillArgvTemplate(
      ['gen.py', '--prompt', '{prompt}', '--size={width}x{height}', '--out', '{output_path}', '{custom_id}.{attempt}'],
      { prompt: 'a cat; rm -rf / $(x)', width: 512, height: 256 },
      BUILT_INS,
    );
    assert.deepEqual(filled, {
      ok: true,
      argv: [
        'gen.py',
        '--prompt',
        'a cat; rm -rf / $(x)',
        '--size=512x256',
        '--out',
        '/jobs/j/tasks/task-1-abc.out.json',
        'task-1.2',
      ],
    });
  });

  it('writes booleans as text and objects and arrays as JSON', () => {
    const filled = fillArgvTemplate(
      ['{flag}', '{spec}', '{list}', '{empty}'],
      { flag: false, spec: { steps: 20, style: 'x' }, list: [1, 'a'], empty: '' },
      BUILT_INS,
    );
    assert.deepEqual(filled, { ok: true, argv: ['false', '{"steps":20,"style":"x"}', '[1,"a"]', ''] });
  });

  it('lets built-ins win over task fields of the same name', () => {
    const filled = fillArgvTemplate(
      ['{output_path}', '{attempt}'],
      { output_path: '/etc/passwd', attempt: 9 },
      BUILT_INS,
    );
    assert.deepEqual(filled, { ok: true, argv: ['/jobs/j/tasks/task-1-abc.out.json', '2'] });
  });

  it('reports the first placeholder without a value (absent or null)', () => {
    assert.deepEqual(fillArgvTemplate(['{a}', '{b}', '{c}'], { a: 'x', b: null }, BUILT_INS), {
      ok: false,
      missing: 'b',
    });
    assert.deepEqual(fillArgvTemplate(['{toString}'], {}, BUILT_INS), { ok: false, missing: 'toString' });
  });

  it('leaves braces that are not placeholders alone', () => {
    const template = ['{"a": 1}', '{}', '{a-b}', '{{x}}'];
    assert.deepEqual(fillArgvTemplate(template, { x: 'X' }, BUILT_INS), {
      ok: true,
      argv: ['{"a": 1}', '{}', '{a-b}', '{X}'],
    });
  });
});

describe('command previews', () => {
  const SECRET_ARGS = ['--api-key', '--token'];

  it('mask the value after a secret argument and in --flag=value form', () => {
    const argv = ['gen', '--api-key', 'k-123456', '--token=t-abcdef', '--prompt', 'a cat', '--api-key'];
    assert.equal(
      formatCommandPreview(argv, SECRET_ARGS, []),
      "gen --api-key *** --token=*** --prompt 'a cat' --api-key",
    );
    assert.deepEqual(findSecretArgValues(argv, SECRET_ARGS), ['k-123456', 't-abcdef']);
  });

  it('mask known secrets and key patterns anywhere', () => {
    const argv = ['gen', '--header', 'x: hunter2-secret', '--key', 'sk-abcdefghijklmnopqrstu'];
    assert.equal(formatCommandPreview(argv, SECRET_ARGS, ['hunter2-secret']), "gen --header 'x: ***' --key sk-***");
  });

  it('quote arguments a shell would split', () => {
    assert.equal(formatCommandPreview(['echo', "it's", ''], [], []), `echo 'it'\\''s' ''`);
  });
});

describe('task file names', () => {
  it('keep safe ids readable and add a hash of the whole id', () => {
    assert.match(taskFileStem('img-001'), /^img-001-[0-9a-f]{10}$/);
    assert.match(taskFileStem('a/b c:d'), /^a_b_c_d-[0-9a-f]{10}$/);
    assert.match(taskFileStem('../../etc'), /^__\.\._etc-[0-9a-f]{10}$/);
    assert.match(taskFileStem(''), /^[0-9a-f]{10}$/);
  });

  it('are unique where the safe forms collide', () => {
    const ids = ['a/b', 'a_b', 'a b', 'A_b', 'x'.repeat(150), `${'x'.repeat(150)}y`];
    const stems = ids.map(taskFileStem);
    assert.equal(new Set(stems.map((stem) => stem.toLowerCase())).size, ids.length);
    for (const stem of stems) assert.ok(stem.length <= 111, `${stem} is too long`);
  });

  it('put the log and the output under <workDir>/tasks', () => {
    const paths = taskFilePaths('/ws/jobs/j1', 'img 1');
    const stem = taskFileStem('img 1');
    assert.deepEqual(paths, {
      logPath: `/ws/jobs/j1/tasks/${stem}.log`,
      outputPath: `/ws/jobs/j1/tasks/${stem}.out.json`,
    });
  });
});
