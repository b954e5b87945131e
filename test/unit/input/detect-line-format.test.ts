import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { detectLineFormat } from '../../../src/input/detect-line-format.ts';

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
