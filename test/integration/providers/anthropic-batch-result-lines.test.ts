import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AnthropicBatchProvider } from '../../../src/providers/anthropic/anthropic-batch-provider.ts';
import type { BatchLineResult, RemoteBatch } from '../../../src/providers/provider.ts';

/** As for OpenAI: a results line over max_response_bytes fails only its own item and is never held whole. */

function resultLine(customId: string, text: string): string {
  const message = {
    id: `msg_${customId}`,
    type: 'message',
    role: 'assistant',
    model: 'claude-test',
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn',
    usage: { input_tokens: 3, output_tokens: 4 },
  };
  return JSON.stringify({ custom_id: customId, result: { type: 'succeeded', message } });
}

const BATCH = {
  id: 'msgbatch_1',
  type: 'message_batch',
  processing_status: 'ended',
  request_counts: { processing: 0, succeeded: 3, errored: 0, canceled: 0, expired: 0 },
  created_at: '2026-01-01T00:00:00Z',
  ended_at: '2026-01-01T00:01:00Z',
  expires_at: '2026-01-02T00:00:00Z',
  cancel_initiated_at: null,
  archived_at: null,
};

describe('AnthropicBatchProvider: result lines over max_response_bytes', () => {
  let server: Server;
  let origin: string;
  const file = [resultLine('small-1', 'fine'), resultLine('huge', 'x'.repeat(200_000)), resultLine('small-2', 'ok')];

  before(async () => {
    server = createServer((request, response) => {
      if (request.url === '/v1/messages/batches/msgbatch_1') {
        // What a client that looks the batch up first (the SDK's `results()`) is told.
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ ...BATCH, results_url: `${origin}/v1/messages/batches/msgbatch_1/results` }));
        return;
      }
      assert.equal(request.url, '/v1/messages/batches/msgbatch_1/results');
      response.setHeader('content-type', 'application/binary');
      response.end(file.join('\n'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('fails the oversized line as response_too_large and reads the others', async () => {
    const provider = new AnthropicBatchProvider({ baseUrl: origin, apiKey: 'sk-ant-test', maxResponseBytes: 4096 });
    const batch: RemoteBatch = {
      id: 'msgbatch_1',
      rawStatus: 'ended',
      end: 'completed',
      counts: { total: 3, completed: 3, failed: 0 },
      errors: [],
      resultRefs: { results_url: `${origin}/v1/messages/batches/msgbatch_1/results` },
      createdAt: 0,
    };
    const results: BatchLineResult[] = [];
    for await (const line of provider.readResults(batch)) results.push(line);
    assert.deepEqual(
      results.map((line) => [line.customId, line.kind]),
      [
        ['small-1', 'succeeded'],
        ['huge', 'errored'],
        ['small-2', 'succeeded'],
      ],
    );
    const huge = results[1];
    assert.ok(huge?.kind === 'errored');
    assert.equal(huge.error.code, 'response_too_large');
    assert.equal(huge.failureKind, 'response_too_large');
  });
});
