import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  createLineParser,
  type LineParser,
  type LineParserOptions,
  type ParsedLine,
} from '../../../src/input/parse-input-line.ts';

const BATCH_LINE = JSON.stringify({ custom_id: 'b1', url: '/v1/chat/completions', body: { model: 'm', messages: [] } });
const ROW_LINE = JSON.stringify({ id: 'r1', messages: [{ role: 'user', content: 'hi' }] });

function createParser(format: LineParserOptions['format'], maxLineBytes?: number): LineParser {
  return createLineParser({
    format,
    messagesKey: 'messages',
    defaults: { model: 'default-model', request: {}, extraBody: {} },
    ...(maxLineBytes !== undefined && { maxLineBytes }),
  });
}

function parseText(parser: LineParser, text: string, lineNo = 1): ParsedLine {
  return parser.parse({ lineNo, byteLength: Buffer.byteLength(text), text });
}

function reasonOf(parsed: ParsedLine): string {
  assert.equal(parsed.ok, false, 'line should be rejected');
  return parsed.ok ? '' : parsed.reject.reason;
}

describe('createLineParser', () => {
  it('rejects blank lines, invalid JSON and non-objects with their line number and raw text', () => {
    const parser = createParser('auto');
    assert.deepEqual(parseText(parser, '', 4), { ok: false, reject: { line: 4, reason: 'blank line', raw: '' } });
    assert.equal(reasonOf(parseText(parser, ' \t ')), 'blank line');
    assert.match(reasonOf(parseText(parser, '{"a": 1,, }')), /^invalid JSON: .*position 8/);
    assert.match(reasonOf(parseText(parser, '{"a": 1')), /^invalid JSON: /);
    assert.equal(reasonOf(parseText(parser, '[1, 2]')), 'line must be a JSON object, got array');
    assert.equal(reasonOf(parseText(parser, '"text"')), 'line must be a JSON object, got string');
    assert.equal(reasonOf(parseText(parser, 'null')), 'line must be a JSON object, got null');
    assert.equal(parser.format, undefined);
  });

  it('rejects an over-long line with its size and the limit, keeping its head as raw', () => {
    const parsed = createParser('auto', 10_485_760).parse({
      lineNo: 2,
      byteLength: 12_345_678,
      text: null,
      head: '{"a":',
    });
    assert.deepEqual(parsed, {
      ok: false,
      reject: {
        line: 2,
        reason: 'line is 12345678 bytes, over the 10485760-byte limit (input.max_line_bytes)',
        raw: '{"a":',
      },
    });
  });

  it('cuts raw to 1 KB without splitting a character', () => {
    const text = `{"a": "${'é'.repeat(2000)}"`;
    const parsed = parseText(createParser('auto'), text);
    assert.ok(!parsed.ok);
    assert.ok(Buffer.byteLength(parsed.reject.raw) <= 1024);
    assert.ok(text.startsWith(parsed.reject.raw));
  });

  it('detects OpenAI batch format from the first recognisable line and rejects rows of the other shape', () => {
    const parser = createParser('auto');
    assert.match(reasonOf(parseText(parser, '{"note": "header"}', 1)), /^cannot tell the line's format/);
    assert.equal(parser.format, undefined);
    assert.ok(parseText(parser, BATCH_LINE, 2).ok);
    assert.equal(parser.format, 'openai_batch');
    const reason = reasonOf(parseText(parser, ROW_LINE, 3));
    assert.match(reason, /looks like messages format, but this file was detected as openai_batch from line 2/);
    assert.match(reason, /input\.format/);
    assert.equal(reasonOf(parseText(parser, '{"custom_id": "b2"}', 4)), 'missing "url" string; missing "body" object');
  });

  it('detects message rows, including rows that carry custom_id and a body field of their own', () => {
    const parser = createParser('auto');
    const row = JSON.stringify({ custom_id: 'p1', body: 'post text', messages: [{ role: 'user', content: 'x' }] });
    const parsed = parseText(parser, row);
    assert.ok(parsed.ok);
    assert.equal(parsed.customId, 'p1');
    assert.equal(parser.format, 'messages');
    assert.match(
      reasonOf(parseText(parser, BATCH_LINE, 2)),
      /looks like openai_batch format, but this file was detected as messages/,
    );
  });

  it('keeps the detected format even when the detecting line itself is rejected', () => {
    const parser = createParser('auto');
    assert.equal(
      reasonOf(parseText(parser, '{"messages": []}')),
      '"messages" must not be empty (input.messages_key is "messages")',
    );
    assert.equal(parser.format, 'messages');
  });

  it('parses every line in a forced format and says so when a line has the other shape', () => {
    const messages = createParser('messages');
    assert.equal(messages.format, 'messages');
    assert.match(
      reasonOf(parseText(messages, BATCH_LINE)),
      /looks like openai_batch format, but input.format is "messages"/,
    );
    assert.ok(parseText(messages, ROW_LINE).ok);

    const batch = createParser('openai_batch');
    assert.match(
      reasonOf(parseText(batch, ROW_LINE)),
      /looks like messages format, but input.format is "openai_batch"/,
    );
    // A valid batch line with a stray top-level messages field still parses when the format is forced.
    const withMessages = JSON.stringify({ ...(JSON.parse(BATCH_LINE) as object), messages: 'x' });
    assert.ok(parseText(batch, withMessages).ok);
  });
});
