import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { truncateUtf8 } from '../../../src/input/truncate-utf8.ts';

describe('truncateUtf8', () => {
  it('keeps short text whole', () => {
    assert.equal(truncateUtf8('hello', 1024), 'hello');
    assert.equal(truncateUtf8('é'.repeat(512), 1024), 'é'.repeat(512));
  });

  it('cuts at a character boundary, never mid-character', () => {
    for (const character of ['é', '中', '😀']) {
      const text = 'a' + character.repeat(600);
      const cut = truncateUtf8(text, 1024);
      assert.ok(Buffer.byteLength(cut) <= 1024);
      assert.ok(Buffer.byteLength(cut) > 1024 - Buffer.byteLength(character));
      assert.ok(text.startsWith(cut));
      assert.ok(!cut.includes('\uFFFD'));
    }
  });
});
