import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import {
  AuthenticationError,
  ConnectionError,
  InternalServerError,
  ProviderError,
  RateLimitError,
  TimeoutError,
} from '../../../src/errors/index.ts';
import { decideRetry } from '../../../src/engine/retry-policy.ts';
import { fromAnthropicError } from '../../../src/providers/anthropic/to-provider-error.ts';

const RETRY = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 1 };

function httpError(status: number, type: string, message: string, headers: Record<string, string> = {}): APIError {
  return APIError.generate(
    status,
    { type: 'error', error: { type, message } },
    undefined,
    new Headers({ 'request-id': 'req_123', ...headers }),
  );
}

describe('fromAnthropicError', () => {
  it('maps HTTP answers through ProviderError.generate, keeping type, message and request id', () => {
    const auth = fromAnthropicError(httpError(401, 'authentication_error', 'invalid x-api-key'), 'polling batch b');
    assert.ok(auth instanceof AuthenticationError);
    assert.equal(auth.code, 'AUTH_FAILED');
    assert.equal(auth.status, 401);
    assert.equal(auth.requestId, 'req_123');
    assert.match(auth.message, /^polling batch b: HTTP 401: authentication_error: invalid x-api-key$/);
    assert.equal(decideRetry(auth, 1, RETRY).kind, 'stop-job');

    const limited = fromAnthropicError(httpError(429, 'rate_limit_error', 'slow down', { 'retry-after': '7' }), 'x');
    assert.ok(limited instanceof RateLimitError);
    assert.equal(limited.retryAfterMs, 7000);

    const overloaded = fromAnthropicError(httpError(529, 'overloaded_error', 'Overloaded'), 'x');
    assert.ok(overloaded instanceof InternalServerError);
    assert.equal(decideRetry(overloaded, 1, RETRY).kind, 'retry');

    const invalid = fromAnthropicError(httpError(400, 'invalid_request_error', 'bad'), 'x');
    assert.equal(invalid.kind, 'http');
    assert.equal(invalid.code, 'PROVIDER_FAILED');
    assert.equal(decideRetry(invalid, 1, RETRY).kind === 'retry', false);
    assert.match(invalid.body ?? '', /invalid_request_error/);
  });

  it('maps timeouts, connection failures with their errno, and the user abort', () => {
    const timeout = fromAnthropicError(new APIConnectionTimeoutError(), 'x');
    assert.ok(timeout instanceof TimeoutError);
    assert.equal(timeout.kind, 'timeout');

    const socket = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const fetchFailed = new TypeError('fetch failed', { cause: socket });
    const refused = fromAnthropicError(new APIConnectionError({ cause: fetchFailed }), 'x');
    assert.ok(refused instanceof ConnectionError);
    assert.equal(refused.errno, 'ECONNREFUSED');
    assert.equal(refused.causeLabel, 'connection_ECONNREFUSED');

    const unknown = fromAnthropicError(new APIConnectionError({ message: 'Connection error.' }), 'x');
    assert.equal(unknown.errno, 'UNKNOWN');

    const reset = fromAnthropicError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'x');
    assert.ok(reset instanceof ConnectionError);

    const aborted = fromAnthropicError(new APIUserAbortError(), 'x');
    assert.equal(aborted.kind, 'aborted');
    assert.equal(decideRetry(aborted, 1, RETRY).kind === 'retry', false);
  });

  it('treats anything else as malformed (retried) and passes ProviderErrors through', () => {
    const malformed = fromAnthropicError(new SyntaxError('Unexpected token } in JSON'), 'reading results');
    assert.equal(malformed.kind, 'malformed');
    assert.equal(decideRetry(malformed, 1, RETRY).kind, 'retry');
    const original = new ProviderError('kept', { kind: 'timeout' });
    assert.equal(fromAnthropicError(original, 'x'), original);
  });

  it('masks the configured key wherever a server echoed it', () => {
    const key = 'sk-ant-api03-secretsecretsecret';
    const echoed = fromAnthropicError(httpError(400, 'invalid_request_error', `bad key ${key}`), 'x', [key]);
    const shown = JSON.stringify({ message: echoed.message, body: echoed.body });
    assert.equal(shown.includes(key), false);
    const thrown = fromAnthropicError(new Error(`odd ${key}`), 'x', [key]);
    assert.equal(thrown.message.includes(key), false);
  });
});
