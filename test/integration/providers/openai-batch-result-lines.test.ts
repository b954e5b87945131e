import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { OpenAIBatchProvider } from '../../../src/providers/openai/openai-batch-provider.ts';
import type { BatchLineResult, RemoteBatch } from '../../../src/providers/provider.ts';

/** A result line over max_response_bytes fails only its own item; it is never held whole (no readline). */

const MAX_BYTES = 4096;

function resultLine(customId: string, content: string): string {
  const body = { id: 'x', object: 'chat.completion', choices: [{ message: { role: 'assistant', content } }] };
  return JSON.stringify({
    id: `batch_req_${customId}`,
    custom_id: customId,
    response: { status_code: 200, request_id: `req_${customId}`, body },
    error: null,
  });
}

describe('OpenAIBatchProvider: result lines over max_response_bytes', () => {
  let server: Server;
  let baseUrl: string;
  const file = [
    resultLine('small-1', 'fine'),
    resultLine('huge', 'x'.repeat(200_000)),
    `{"id":"batch_req_anon","note":"${'y'.repeat(200_000)}"}`,
    resultLine('small-2', 'also fine'),
  ].join('\n');

  before(async () => {
    server = createServer((request, response) => {
      assert.equal(request.url, '/v1/files/file_out/content');
      response.setHeader('content-type', 'application/jsonl');
      response.end(file);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/v1`;
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('fails the oversized line as response_too_large and reads the others', async () => {
    const provider = new OpenAIBatchProvider({ baseUrl, apiKey: null, dialect: 'openai', maxResponseBytes: MAX_BYTES });
    const batch: RemoteBatch = {
      id: 'batch_1',
      rawStatus: 'completed',
      end: 'completed',
      counts: { total: 4, completed: 4, failed: 0 },
      errors: [],
      resultRefs: { output_file_id: 'file_out' },
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
      'a line naming no custom_id is left out: its item comes back without a result and is resubmitted',
    );
    const huge = results[1];
    assert.ok(huge?.kind === 'errored');
    assert.equal(huge.error.code, 'response_too_large');
    assert.equal(huge.failureKind, 'response_too_large');
  });
});
