import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideRetry } from '../../../src/engine/retry-policy.ts';
import {
  convertAnthropicResult,
  convertAnthropicUsage,
  mapStopReason,
} from '../../../src/providers/anthropic/from-anthropic-result.ts';

const RETRY = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 1 };

const message = {
  id: 'msg_01abc',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-5',
  content: [
    { type: 'thinking', thinking: 'hmm', signature: 's' },
    { type: 'text', text: 'Hello, ', citations: null },
    { type: 'text', text: 'world.' },
  ],
  stop_reason: 'max_tokens',
  stop_sequence: null,
  usage: { input_tokens: 12, output_tokens: 7, cache_creation_input_tokens: 3, cache_read_input_tokens: 5 },
};

function errored(type: string, text = 'boom') {
  return convertAnthropicResult(
    {
      custom_id: 'e',
      result: { type: 'errored', error: { type: 'error', error: { type, message: text }, request_id: null } },
    },
    0,
  );
}

describe('convertAnthropicResult', () => {
  it('turns a succeeded line into an OpenAI chat.completion that keeps the Message', () => {
    const result = convertAnthropicResult(
      { custom_id: 'row-1', result: { type: 'succeeded', message } },
      1_700_000_000,
    );
    assert.ok(result.kind === 'succeeded');
    assert.equal(result.customId, 'row-1');
    assert.equal(result.statusCode, 200);
    assert.equal(result.requestId, null);
    assert.deepEqual(result.usage, { inputTokens: 20, outputTokens: 7 });
    assert.deepEqual(JSON.parse(result.body), {
      id: 'msg_01abc',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'claude-sonnet-5',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello, world.' }, finish_reason: 'length' }],
      usage: { prompt_tokens: 20, completion_tokens: 7, total_tokens: 27 },
      anthropic_message: message,
    });
    assert.equal(result.body.includes('\n'), false);
  });

  it('keeps a body without usage or text readable', () => {
    const result = convertAnthropicResult(
      { custom_id: 'r', result: { type: 'succeeded', message: { id: 'msg_x', content: [], stop_reason: null } } },
      0,
    );
    assert.ok(result.kind === 'succeeded');
    assert.equal(result.usage, null);
    const body = JSON.parse(result.body) as { choices: { message: { content: string }; finish_reason: string }[] };
    assert.equal(body.choices[0]?.message.content, '');
    assert.equal(body.choices[0]?.finish_reason, 'stop');
  });

  it('maps canceled and expired lines', () => {
    assert.deepEqual(convertAnthropicResult({ custom_id: 'c', result: { type: 'canceled' } }, 0), {
      customId: 'c',
      kind: 'cancelled',
    });
    assert.deepEqual(convertAnthropicResult({ custom_id: 'x', result: { type: 'expired' } }, 0), {
      customId: 'x',
      kind: 'expired',
    });
  });

  it('gives errored lines a status so that server-side errors are retried and invalid requests are not', () => {
    const cases: [string, number, boolean][] = [
      ['invalid_request_error', 400, false],
      ['not_found_error', 404, false],
      ['request_too_large', 413, false],
      ['rate_limit_error', 429, true],
      ['api_error', 500, true],
      ['timeout_error', 504, true],
      ['overloaded_error', 529, true],
      ['some_new_error', 500, true],
    ];
    for (const [type, status, retried] of cases) {
      const result = errored(type, `why ${type}`);
      assert.ok(result.kind === 'errored', type);
      assert.deepEqual(result.error, { code: type, message: `why ${type}`, status });
      assert.equal(result.failureKind, 'http');
      assert.equal(decideRetry({ kind: result.failureKind, status }, 1, RETRY).kind === 'retry', retried, type);
    }
  });

  it('reads an error given without the response envelope, and one with no detail', () => {
    const bare = convertAnthropicResult(
      { custom_id: 'b', result: { type: 'errored', error: { type: 'overloaded_error', message: 'busy' } } },
      0,
    );
    assert.ok(bare.kind === 'errored');
    assert.deepEqual(bare.error, { code: 'overloaded_error', message: 'busy', status: 529 });
    const empty = convertAnthropicResult({ custom_id: 'e', result: { type: 'errored' } }, 0);
    assert.ok(empty.kind === 'errored');
    assert.equal(empty.error.code, 'api_error');
    assert.equal(empty.error.status, 500);
  });

  it('fails a line of an unknown result type as malformed (retried), never as done', () => {
    const result = convertAnthropicResult({ custom_id: 'u', result: { type: 'deferred' } }, 0);
    assert.ok(result.kind === 'errored');
    assert.equal(result.failureKind, 'malformed');
    assert.equal(result.customId, 'u');
    // A line without a custom id settles nothing: it is unreadable, and its item gets no result.
    const noId = convertAnthropicResult(null, 0);
    assert.equal(noId.kind, 'unreadable');
    assert.equal(noId.customId, null);
  });
});

describe('mapStopReason', () => {
  it('maps every Anthropic stop reason to an OpenAI finish reason', () => {
    assert.equal(mapStopReason('end_turn'), 'stop');
    assert.equal(mapStopReason('stop_sequence'), 'stop');
    assert.equal(mapStopReason('pause_turn'), 'stop');
    assert.equal(mapStopReason('max_tokens'), 'length');
    assert.equal(mapStopReason('model_context_window_exceeded'), 'length');
    assert.equal(mapStopReason('tool_use'), 'tool_calls');
    assert.equal(mapStopReason('refusal'), 'content_filter');
    assert.equal(mapStopReason('something_new'), 'stop');
    assert.equal(mapStopReason(null), 'stop');
  });
});

describe('convertAnthropicUsage', () => {
  it('counts cached prompt tokens as input', () => {
    assert.deepEqual(convertAnthropicUsage({ input_tokens: 1, output_tokens: 2 }), { inputTokens: 1, outputTokens: 2 });
    assert.deepEqual(
      convertAnthropicUsage({
        input_tokens: 1,
        output_tokens: 2,
        cache_creation_input_tokens: null,
        cache_read_input_tokens: 4,
      }),
      { inputTokens: 5, outputTokens: 2 },
    );
    assert.equal(convertAnthropicUsage({ output_tokens: 2 }), null);
    assert.equal(convertAnthropicUsage(undefined), null);
  });
});
