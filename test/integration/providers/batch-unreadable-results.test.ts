import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AnthropicBatchProvider } from '../../../src/providers/anthropic/anthropic-batch-provider.ts';
import { OpenAIBatchProvider } from '../../../src/providers/openai/openai-batch-provider.ts';
import type { BatchLineResult, RemoteBatch } from '../../../src/providers/provider.ts';
import { type HttpServerHandle, startHttpServer } from '../../helpers/start-http-server.ts';

/**
 * A result file with lines that cannot be read (cut short, not JSON at all, no custom id) is read to its end by both
 * batch adapters: each bad line comes back as `unreadable` (with the custom id its text still shows), never as an
 * error that would make the engine download the file again.
 */

const GOOD_OPENAI = JSON.stringify({
  id: 'r1',
  custom_id: 'a',
  response: { status_code: 200, request_id: 'q1', body: { choices: [] } },
  error: null,
});
const GOOD_ANTHROPIC = JSON.stringify({
  custom_id: 'a',
  result: { type: 'succeeded', message: { id: 'm', content: [], usage: { input_tokens: 1, output_tokens: 1 } } },
});

function badLines(good: string): string[] {
  return [
    good,
    good.replace('"a"', '"b"').slice(0, 30),
    '<html>502</html>',
    '{"no_id":true}',
    good.replace('"a"', '"c"'),
  ];
}

describe('unreadable result lines', () => {
  let server: HttpServerHandle;
  let base: string;

  before(async () => {
    server = await startHttpServer((request, response) => {
      const url = request.url ?? '';
      response.setHeader('content-type', 'application/json');
      if (url === '/v1/files/out-1/content') {
        response.end(`${badLines(GOOD_OPENAI).join('\n')}\n`);
      } else if (url === '/v1/messages/batches/msgbatch_1') {
        response.end(
          JSON.stringify({
            id: 'msgbatch_1',
            type: 'message_batch',
            processing_status: 'ended',
            request_counts: { processing: 0, succeeded: 3, errored: 0, canceled: 0, expired: 0 },
            results_url: `${base}/v1/messages/batches/msgbatch_1/results`,
            created_at: '2026-11-29T00:00:00Z',
            ended_at: '2026-11-29T00:01:00Z',
            expires_at: '2026-11-30T00:00:00Z',
            cancel_initiated_at: null,
            archived_at: null,
          }),
        );
      } else if (url === '/v1/messages/batches/msgbatch_1/results') {
        response.end(`${badLines(GOOD_ANTHROPIC).join('\n')}\n`);
      } else {
        response.statusCode = 404;
        response.end('{"error":{"message":"not found"}}');
      }
    });
    base = server.origin;
  });

  after(() => server.close());

  function remote(id: string, resultRefs: Record<string, string>): RemoteBatch {
    return {
      id,
      rawStatus: 'completed',
      end: 'completed',
      counts: { total: 3, completed: 3, failed: 0 },
      errors: [],
      resultRefs,
      createdAt: 0,
    };
  }

  async function collect(results: AsyncIterable<BatchLineResult>): Promise<[string, string | null][]> {
    const seen: [string, string | null][] = [];
    for await (const result of results) seen.push([result.kind, result.customId]);
    return seen;
  }

  const expected = [
    ['succeeded', 'a'],
    ['unreadable', 'b'],
    ['unreadable', null],
    ['unreadable', null],
    ['succeeded', 'c'],
  ];

  it('OpenAI-style output files', async () => {
    const provider = new OpenAIBatchProvider({
      baseUrl: `${base}/v1`,
      apiKey: 'k',
      dialect: 'openai',
      timeoutMs: 5000,
    });
    assert.deepEqual(await collect(provider.readResults(remote('batch_1', { output_file_id: 'out-1' }))), expected);
  });

  it('Anthropic Message Batch results', async () => {
    const provider = new AnthropicBatchProvider({ baseUrl: base, apiKey: 'k', timeoutMs: 5000 });
    assert.deepEqual(await collect(provider.readResults(remote('msgbatch_1', {}))), expected);
  });
});
