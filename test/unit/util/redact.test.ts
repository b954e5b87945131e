import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  knownSecrets,
  redactObject,
  redactSecretBytes,
  redactSecrets,
  registerSecret,
} from '../../../src/util/redact.ts';

describe('redactSecrets', () => {
  it('masks every occurrence of each known secret', () => {
    assert.equal(redactSecrets('a key1234 b key1234 c', ['key1234']), 'a *** b *** c');
  });

  it('ignores empty and short secrets', () => {
    assert.equal(redactSecrets('a abc b', ['', 'abc']), 'a abc b');
  });

  it('masks the longer of two overlapping secrets whole', () => {
    assert.equal(redactSecrets('secret-long', ['secret', 'secret-long']), '***');
  });

  it('masks Authorization headers', () => {
    assert.equal(redactSecrets('Authorization: Bearer abc.def-123', []), 'Authorization: Bearer ***');
    assert.equal(redactSecrets('{"authorization":"Bearer abc123"}', []), '{"authorization":"Bearer ***"}');
    assert.equal(
      redactSecrets("headers: { authorization: 'Basic dXNlcjpwdw==' }", []),
      "headers: { authorization: 'Basic ***' }",
    );
  });

  it('masks api-key and x-api-key values', () => {
    assert.equal(redactSecrets('x-api-key: abc123', []), 'x-api-key: ***');
    assert.equal(redactSecrets('{"api-key":"abc123"}', []), '{"api-key":"***"}');
    assert.equal(
      redactSecrets('{"api_key":"abc123","api_key_env":"OPENAI_API_KEY"}', []),
      '{"api_key":"***","api_key_env":"OPENAI_API_KEY"}',
    );
    assert.equal(redactSecrets('OPENAI_API_KEY=abc123 npx batchpilot', []), 'OPENAI_API_KEY=*** npx batchpilot');
    assert.equal(redactSecrets('{"api_key":null}', []), '{"api_key":null}');
  });

  it('masks --api-key VALUE and --api-key=VALUE', () => {
    assert.equal(
      redactSecrets('batchpilot run x --api-key abc123 --json', []),
      'batchpilot run x --api-key *** --json',
    );
    assert.equal(redactSecrets('batchpilot run x --api-key=abc123', []), 'batchpilot run x --api-key ***');
  });

  it('masks sk- keys but not ids that merely contain "sk-"', () => {
    assert.equal(redactSecrets('key sk-proj-abcdefghijklmnop1234 used', []), 'key sk-*** used');
    assert.equal(redactSecrets('custom_id task-0123456789abcdef0123', []), 'custom_id task-0123456789abcdef0123');
    assert.equal(redactSecrets('sk-short', []), 'sk-short');
  });

  it('is idempotent', () => {
    const once = redactSecrets('Authorization: Bearer abc --api-key k1234 sk-abcdefghijklmnop1234 x-api-key: q', [
      'k1234',
    ]);
    assert.equal(redactSecrets(once, ['k1234']), once);
  });
});

describe('redactObject', () => {
  it('deep-copies with strings redacted and secret-named fields masked', () => {
    const input = {
      headers: { Authorization: 'Bearer abc', 'x-api-key': 'k', 'content-type': 'application/json' },
      config: { api_key: 'literal', apiKey: 'resolved', 'api-key': 'h', api_key_env: 'OPENAI_API_KEY', noKey: null },
      log: ['sent with secret-0001', { nested: 'secret-0001 again' }],
      count: 3,
    };
    const output = redactObject(input, ['secret-0001']);
    assert.deepEqual(output, {
      headers: { Authorization: '***', 'x-api-key': '***', 'content-type': 'application/json' },
      config: { api_key: '***', apiKey: '***', 'api-key': '***', api_key_env: 'OPENAI_API_KEY', noKey: null },
      log: ['sent with ***', { nested: '*** again' }],
      count: 3,
    });
    assert.equal(input.headers.Authorization, 'Bearer abc', 'the input is not changed');
  });

  it('keeps null keys as null, so "no key" does not read as a masked key', () => {
    assert.deepEqual(redactObject({ apiKey: null }, []), { apiKey: null });
  });

  it('copies errors with their message and stack redacted, and survives cycles', () => {
    const error = new Error('failed with secret-0002');
    const output = redactObject({ error }, ['secret-0002']) as unknown as { error: { message: string; stack: string } };
    assert.equal(output.error.message, 'failed with ***');
    assert.ok(!output.error.stack.includes('secret-0002'));
    const cyclic: Record<string, unknown> = { name: 'a' };
    cyclic['self'] = cyclic;
    assert.deepEqual(redactObject(cyclic, []), { name: 'a', self: '[Circular]' });
  });
});

describe('secret registry', () => {
  it('remembers registered secrets, ignoring short ones', () => {
    registerSecret('registered-secret-1');
    registerSecret('abc');
    assert.ok(knownSecrets().includes('registered-secret-1'));
    assert.ok(!knownSecrets().includes('abc'));
    assert.equal(redactSecrets('x registered-secret-1 y', knownSecrets()), 'x *** y');
  });
});

describe('redactSecrets: spellings an echoing endpoint may use', () => {
  const secret = 'bp-key/with+slash=0123456789';
  it('masks the JSON-escaped, slash-escaped and percent-encoded forms', () => {
    const json = JSON.stringify({ echo: secret });
    for (const text of [json, json.replaceAll('/', '\\/'), `?key=${encodeURIComponent(secret)}`]) {
      assert.ok(!redactSecrets(text, [secret]).includes('0123456789'), text);
    }
  });

  it('masks only the known secrets in answers when patterns are off', () => {
    const answer = `use api_key="YOUR_KEY" and ${secret}`;
    assert.equal(redactSecrets(answer, [secret], { patterns: false }), 'use api_key="YOUR_KEY" and ***');
  });
});

describe('redactSecrets: credentials in a URL', () => {
  it('masks the user info of any URL, and leaves other URLs alone', () => {
    assert.equal(
      redactSecrets('base_url "https://bob:hunter2@example.com/v1" failed', []),
      'base_url "https://***@example.com/v1" failed',
    );
    assert.equal(redactSecrets('see http://example.com/a@b', []), 'see http://example.com/a@b');
    assert.deepEqual(redactObject({ base_url: 'http://u:p@h:8000/v1' }, []), { base_url: 'http://***@h:8000/v1' });
  });
});

describe('redactSecretBytes', () => {
  it('overwrites every known secret in a large answer kept as bytes, in place, keeping its JSON valid', () => {
    const key = 'secret/key-0123456789';
    // As a server writes it: quoted plainly, and with `/` escaped as `\/` (legal JSON).
    const body = Buffer.from(`{"echo":"Bearer ${key}","again":"${key}","escaped":"${key.replace('/', '\\/')}"}`);
    const redacted = redactSecretBytes(body, [key]);
    assert.equal(redacted, body, 'the same buffer, not a copy');
    const text = redacted.toString();
    assert.ok(!text.includes('0123456789'), text);
    assert.deepEqual(Object.keys(JSON.parse(text) as object), ['echo', 'again', 'escaped']);
  });
});
