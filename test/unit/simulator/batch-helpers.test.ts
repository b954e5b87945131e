import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { drawLineOutcomes, LINE_OUTCOMES } from '../../../src/simulator/batch/draw-line-outcomes.ts';
import { paginate } from '../../../src/simulator/batch/paginate.ts';
import { parseMultipart } from '../../../src/simulator/batch/parse-multipart.ts';
import { convertAnthropicParamsToChatBody, estimateRequestTokens } from '../../../src/simulator/index.ts';

describe('parseMultipart', () => {
  it('splits fields and files into views of the body', () => {
    const body = Buffer.from(
      '--b\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n' +
        '--b\r\nContent-Disposition: form-data; name="file"; filename="in.jsonl"\r\nContent-Type: application/jsonl\r\n\r\n' +
        'a\r\nb\n\r\n--b--\r\n',
    );
    const parts = parseMultipart(body, 'multipart/form-data; boundary=b')!;
    assert.deepEqual(
      parts.map((part) => [part.name, part.filename, part.data.toString()]),
      [
        ['purpose', undefined, 'batch'],
        ['file', 'in.jsonl', 'a\r\nb\n'],
      ],
    );
    assert.equal(parts[1]!.data.buffer, body.buffer, 'no copy');
  });

  it('returns undefined without a boundary or on a truncated body', () => {
    assert.equal(parseMultipart(Buffer.from('x'), 'application/json'), undefined);
    assert.equal(
      parseMultipart(
        Buffer.from('--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nno end'),
        'multipart/form-data; boundary=b',
      ),
      undefined,
    );
  });
});

describe('paginate', () => {
  const items = ['e', 'd', 'c', 'b', 'a'].map((id) => ({ id }));
  const ids = (page: { data: { id: string }[] }): string[] => page.data.map((item) => item.id);

  it('pages forward with after and backward with before, newest first', () => {
    assert.deepEqual(ids(paginate(items, { limit: 2 })), ['e', 'd']);
    const next = paginate(items, { limit: 2, afterId: 'd' });
    assert.deepEqual([ids(next), next.hasMore, next.firstId, next.lastId], [['c', 'b'], true, 'c', 'b']);
    const last = paginate(items, { limit: 2, afterId: 'b' });
    assert.deepEqual([ids(last), last.hasMore], [['a'], false]);
    const before = paginate(items, { limit: 2, beforeId: 'b' });
    assert.deepEqual([ids(before), before.hasMore], [['d', 'c'], true]);
    const empty = paginate(items, { limit: 2, afterId: 'unknown' });
    assert.deepEqual([ids(empty), empty.firstId, empty.lastId], [[], null, null]);
  });
});

describe('drawLineOutcomes', () => {
  const invalid = Array.from({ length: 1000 }, (_unused, index) => index === 3);

  it('draws at the rates, reproducibly per seed and batch number, differently per batch', () => {
    const rates = { batchFailRate: 0, lineFailRate: 0.2, lineExpireRate: 0.1 };
    const first = drawLineOutcomes(1, 1, invalid, rates);
    assert.deepEqual(first, drawLineOutcomes(1, 1, invalid, rates));
    assert.notDeepEqual(first.outcomes, drawLineOutcomes(1, 2, invalid, rates).outcomes);
    const failed = first.outcomes.filter((outcome) => outcome === LINE_OUTCOMES.failed).length;
    const expired = first.outcomes.filter((outcome) => outcome === LINE_OUTCOMES.expired).length;
    assert.ok(failed > 150 && failed < 250, String(failed));
    assert.ok(expired > 60 && expired < 140, String(expired));
  });

  it('marks invalid lines when no fault was drawn, and whole batches at batchFailRate', () => {
    const none = drawLineOutcomes(1, 1, invalid, { batchFailRate: 0, lineFailRate: 0, lineExpireRate: 0 });
    assert.equal(none.outcomes[3], LINE_OUTCOMES.invalid);
    assert.equal(none.batchFails, false);
    assert.equal(drawLineOutcomes(1, 1, [], { batchFailRate: 1, lineFailRate: 0, lineExpireRate: 0 }).batchFails, true);
  });
});

describe('batch request helpers', () => {
  it('estimates tokens as a quarter of the JSON body plus its output budget', () => {
    const body = { model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 100 };
    assert.equal(estimateRequestTokens(body), Math.ceil(JSON.stringify(body).length / 4) + 100);
    const other = { input: 'x', max_completion_tokens: 5 };
    assert.equal(estimateRequestTokens(other), Math.ceil(JSON.stringify(other).length / 4) + 5);
  });

  it('maps Anthropic params onto the chat body the answer is keyed on', () => {
    const messages = [{ role: 'user', content: 'q' }];
    assert.deepEqual(convertAnthropicParamsToChatBody({ model: 'c', max_tokens: 5, messages }), {
      model: 'c',
      messages,
    });
    assert.deepEqual(convertAnthropicParamsToChatBody({ model: 'c', system: 'S', messages }), {
      model: 'c',
      messages: [{ role: 'system', content: 'S' }, ...messages],
    });
  });
});
