import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { detectInputFormat, detectLineFormat } from '../../../src/input/detect-input-format.ts';
import { useTempDir } from './temp-dir.ts';

const temp = useTempDir();

describe('detectLineFormat', () => {
  it('tells message rows from OpenAI batch lines', () => {
    assert.equal(detectLineFormat({ custom_id: 'a', body: {} }, 'messages'), 'openai_batch');
    assert.equal(detectLineFormat({ url: '/v1/embeddings', body: {} }, 'messages'), 'openai_batch');
    assert.equal(detectLineFormat({ messages: [] }, 'messages'), 'messages');
    assert.equal(detectLineFormat({ custom_id: 'a', body: 'post', messages: [] }, 'messages'), 'messages');
    assert.equal(detectLineFormat({ chat: [] }, 'chat'), 'messages');
    assert.equal(detectLineFormat({ messages: [] }, 'chat'), undefined);
    assert.equal(detectLineFormat({ custom_id: 'a' }, 'messages'), undefined);
  });
});

describe('detectInputFormat', () => {
  it('reads up to the first recognisable line', async () => {
    const path = await temp.write(
      'rows.jsonl',
      ['', 'not json', '[1]', '{"a":1}', '{"messages":[]}', '{"custom_id":"x","body":{}}'].join('\n'),
    );
    assert.deepEqual(await detectInputFormat(path, { messagesKey: 'messages', maxLineBytes: 1000 }), {
      format: 'messages',
      lineNo: 5,
    });
    assert.equal(
      await detectInputFormat(path, { messagesKey: 'messages', maxLineBytes: 1000, maxLines: 4 }),
      undefined,
    );
  });

  it('returns undefined when no line is recognisable', async () => {
    const path = await temp.write('none.jsonl', '{"a":1}\n{"b":2}\n');
    assert.equal(await detectInputFormat(path, { messagesKey: 'messages', maxLineBytes: 1000 }), undefined);
  });
});
