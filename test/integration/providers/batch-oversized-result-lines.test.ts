import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AnthropicBatchProvider } from '../../../src/providers/anthropic/anthropic-batch-provider.ts';
import { OpenAIBatchProvider } from '../../../src/providers/openai/openai-batch-provider.ts';
import type { BatchLineResult, RemoteBatch } from '../../../src/providers/provider.ts';
import { type HttpServerHandle, startHttpServer } from '../../helpers/start-http-server.ts';

/**
 * A result line over max_response_bytes fails only its own item, as `response_too_large`, in both batch adapters; it
 * is never held whole (no readline), and the lines after it are read.
 */

const MAX_BYTES = 4096;
const HUGE = 200_000;

function openaiLine(customId: string, content: string): string {
  const body = { id: 'x', object: 'chat.completion', choices: [{ message: { role: 'assistant', content } }] };
  return JSON.stringify({
    id: `batch_req_${customId}`,
    custom_id: customId,
    response: { status_code: 200, request_id: `req_${customId}`, body },
    error: null,
  });
}

function anthropicLine(customId: string, text: string): string {
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

const OPENAI_FILE = [
  openaiLine('small-1', 'fine'),
  openaiLine('huge', 'x'.repeat(HUGE)),
  `{"id":"batch_req_anon","note":"${'y'.repeat(HUGE)}"}`,
  openaiLine('small-2', 'also fine'),
].join('\n');

const ANTHROPIC_FILE = [
  anthropicLine('small-1', 'fine'),
  anthropicLine('huge', 'x'.repeat(HUGE)),
  anthropicLine('small-2', 'ok'),
].join('\n');

const ANTHROPIC_BATCH = {
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

describe('batch result lines over max_response_bytes', () => {
  let server: HttpServerHandle;
  let origin: string;

  before(async () => {
    server = await startHttpServer((request, response) => {
      const resultsUrl = `${origin}/v1/messages/batches/msgbatch_1/results`;
      if (request.url === '/v1/files/file_out/content') {
        response.setHeader('content-type', 'application/jsonl');
        response.end(OPENAI_FILE);
      } else if (request.url === '/v1/messages/batches/msgbatch_1') {
        // What a client that looks the batch up first (the SDK's `results()`) is told.
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ ...ANTHROPIC_BATCH, results_url: resultsUrl }));
      } else if (request.url === '/v1/messages/batches/msgbatch_1/results') {
        response.setHeader('content-type', 'application/binary');
        response.end(ANTHROPIC_FILE);
      } else {
        response.statusCode = 404;
        response.end('{"error":{"message":"not found"}}');
      }
    });
    origin = server.origin;
  });

  after(() => server.close());

  function remote(id: string, total: number, resultRefs: Record<string, string>): RemoteBatch {
    return {
      id,
      rawStatus: 'completed',
      end: 'completed',
      counts: { total, completed: total, failed: 0 },
      errors: [],
      resultRefs,
      createdAt: 0,
    };
  }

  /** Reads every result line and checks that only `huge` failed, as response_too_large. */
  async function assertOnlyHugeFails(results: AsyncIterable<BatchLineResult>, message?: string): Promise<void> {
    const lines: BatchLineResult[] = [];
    for await (const line of results) lines.push(line);
    assert.deepEqual(
      lines.map((line) => [line.customId, line.kind]),
      [
        ['small-1', 'succeeded'],
        ['huge', 'errored'],
        ['small-2', 'succeeded'],
      ],
      message,
    );
    const huge = lines[1];
    assert.ok(huge?.kind === 'errored');
    assert.equal(huge.error.code, 'response_too_large');
    assert.equal(huge.failureKind, 'response_too_large');
  }

  it('OpenAI: fails the oversized line as response_too_large and reads the others', async () => {
    const provider = new OpenAIBatchProvider({
      baseUrl: `${origin}/v1`,
      apiKey: null,
      dialect: 'openai',
      maxResponseBytes: MAX_BYTES,
    });
    await assertOnlyHugeFails(
      provider.readResults(remote('batch_1', 4, { output_file_id: 'file_out' })),
      'a line naming no custom_id is left out: its item comes back without a result and is resubmitted',
    );
  });

  it('Anthropic: fails the oversized line as response_too_large and reads the others', async () => {
    const provider = new AnthropicBatchProvider({
      baseUrl: origin,
      apiKey: 'sk-ant-test',
      maxResponseBytes: MAX_BYTES,
    });
    await assertOnlyHugeFails(
      provider.readResults(
        remote('msgbatch_1', 3, { results_url: `${origin}/v1/messages/batches/msgbatch_1/results` }),
      ),
    );
  });
});
