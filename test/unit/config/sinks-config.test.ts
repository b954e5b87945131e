import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load-config.ts';
import { fromStoredConfig, toStoredConfig } from '../../../src/config/stored-config.ts';
import { createSink } from '../../../src/sinks/create-sink.ts';
import { BASE_URL, catchConfigError, createConfigFolder } from './config-fixtures.ts';

/** Issue 13 section 2: `sinks:` entries are validated key by key, named by default, and their names unique. */
describe('sinks config', () => {
  async function load(yaml: string) {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\n${yaml}`);
    return loadConfig({ cwd, env: {}, flags: {} });
  }

  async function refused(yaml: string) {
    const cwd = await createConfigFolder(`base_url: ${BASE_URL}\n${yaml}`);
    return catchConfigError(loadConfig({ cwd, env: {}, flags: {} }));
  }

  it('is absent by default', async () => {
    const { config } = await load('');
    assert.equal(config.sinks, undefined);
  });

  it('fills names and per-type defaults', async () => {
    const { config } = await load(
      [
        'sinks:',
        '  - { type: lancedb, table: critiques, vectors: { from: critique.text, model: m } }',
        '  - { type: jsonl, dir: ./parts }',
        '  - { type: jsonl, dir: ./more, every: 5, rows: all }',
        '  - { type: http, url: "http://127.0.0.1:9/ingest", headers: { Authorization: "Bearer ${TOKEN}" } }',
        '',
      ].join('\n'),
    );
    const sinks = config.sinks ?? [];
    assert.deepEqual(
      sinks.map((sink) => sink.name),
      ['lancedb', 'jsonl-1', 'jsonl-2', 'http'],
    );
    const [lance, parts, more, http] = sinks;
    assert.equal(lance?.type, 'lancedb');
    if (lance?.type === 'lancedb') {
      assert.equal(lance.uri, './lancedb');
      assert.equal(lance.table, 'critiques');
      assert.equal(lance.optimize_every, 10);
      assert.equal(lance.vectors?.column, 'vector');
      assert.equal(lance.every, 100);
      assert.equal(lance.rows, 'valid');
    }
    assert.equal(parts?.type === 'jsonl' && parts.dir, './parts');
    assert.equal(more?.every, 5);
    assert.equal(more?.rows, 'all');
    assert.equal(http?.type === 'http' && http.timeout_ms, 30_000);
  });

  const cases: [string, string, string][] = [
    ['an unknown type', 'sinks:\n  - { type: kafka }\n', 'sinks.0.type'],
    ['a key of another type', 'sinks:\n  - { type: jsonl, dir: ./p, table: t }\n', 'sinks.0.table'],
    ['a missing dir', 'sinks:\n  - { type: jsonl }\n', 'sinks.0.dir'],
    ['a missing url', 'sinks:\n  - { type: lancedb }\n  - { type: http }\n', 'sinks.1.url'],
    ['a typo', 'sinks:\n  - { type: lancedb, evry: 3 }\n', 'sinks.0.evry'],
    ['every 0', 'sinks:\n  - { type: lancedb, every: 0 }\n', 'sinks.0.every'],
    ['rows: some', 'sinks:\n  - { type: lancedb, rows: some }\n', 'sinks.0.rows'],
    ['an ftp url', 'sinks:\n  - { type: http, url: "ftp://x/y" }\n', 'sinks.0.url'],
    ['vectors without model', 'sinks:\n  - { type: lancedb, vectors: { from: a } }\n', 'sinks.0.vectors.model'],
    [
      'a repeated name',
      'sinks:\n  - { type: lancedb, name: out }\n  - { type: jsonl, dir: ./p, name: out }\n',
      'sinks.1.name',
    ],
    [
      'two sinks on one table',
      'sinks:\n  - { type: lancedb, table: t }\n  - { type: lancedb, name: other, table: t }\n',
      'sinks.1.table',
    ],
    [
      'a name taken by a default name',
      'sinks:\n  - { type: jsonl, dir: ./a }\n  - { type: lancedb, name: jsonl }\n',
      'sinks.1.name',
    ],
  ];
  for (const [what, yaml, key] of cases) {
    it(`refuses ${what} with CONFIG_INVALID naming ${key}`, async () => {
      const error = await refused(yaml);
      assert.equal(error.code, 'CONFIG_INVALID');
      assert.equal(error.context.key, key, error.message);
    });
  }

  it('does not quote a header value back in a message', async () => {
    const error = await refused('sinks:\n  - { type: http, url: "http://x/y", headers: { X-Token: 90817263544 } }\n');
    assert.equal(error.context.key, 'sinks.0.headers.X-Token');
    assert.ok(!error.message.includes('90817263544'), error.message);
  });

  it('a stored job config gives the same sinks back, and each entry builds a sink', async () => {
    const { config } = await load(
      'sinks:\n  - { type: jsonl, dir: ./parts, fields: [id] }\n  - { type: http, url: "http://127.0.0.1:9/x" }\n',
    );
    const stored = JSON.parse(JSON.stringify(toStoredConfig(config))) as Record<string, unknown>;
    const again = await fromStoredConfig(stored, { env: {} });
    assert.deepEqual(again.config.sinks, config.sinks);
    for (const entry of again.config.sinks ?? []) {
      const sink = await createSink(entry, { jobId: 'j', cwd: '.', rowSchema: { sourceFields: [], prompts: [] } });
      assert.equal(sink.name, entry.name);
    }
  });
});
