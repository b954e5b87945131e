import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { detectBatchDialect, toDialectUrl, BATCH_DIALECTS } from '../../../src/providers/openai/batch-dialects.ts';
import { OpenAIBatchProvider } from '../../../src/providers/openai/openai-batch-provider.ts';
import { type HttpServerHandle, startHttpServer } from '../../helpers/start-http-server.ts';

/** A real HTTP server on 127.0.0.1 that records what each dialect sends and answers one batch. */
describe('OpenAI batch dialects', () => {
  let server: HttpServerHandle;
  let baseUrl: string;
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];

  before(async () => {
    server = await startHttpServer((request, response) => {
      seen.push({ url: request.url ?? '', headers: request.headers });
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify({
          id: 'batch_1',
          object: 'batch',
          status: 'in_progress',
          created_at: 1,
          request_counts: { total: 3, completed: 1, failed: 0 },
        }),
      );
    });
    baseUrl = server.origin;
  });

  after(() => server.close());

  it('picks the dialect from the base URL', () => {
    assert.equal(detectBatchDialect('https://api.openai.com/v1'), 'openai');
    assert.equal(detectBatchDialect('https://open.bigmodel.cn/api/paas/v4'), 'zhipu');
    assert.equal(detectBatchDialect('https://acme.openai.azure.com/openai'), 'azure');
  });

  it('rewrites line urls to the dialect path, so one input works against all', () => {
    assert.equal(toDialectUrl(BATCH_DIALECTS.zhipu, '/v1/chat/completions'), '/v4/chat/completions');
    assert.equal(toDialectUrl(BATCH_DIALECTS.openai, '/v4/chat/completions'), '/v1/chat/completions');
    assert.equal(toDialectUrl(BATCH_DIALECTS.azure, '/v1/chat/completions'), '/chat/completions');
    const provider = new OpenAIBatchProvider({ baseUrl, apiKey: null, dialect: 'zhipu' });
    const line = JSON.parse(
      provider.encodeLine('id-1', { method: 'POST', url: '/v1/chat/completions', body: '{"model":"m"}' }).line,
    ) as Record<string, unknown>;
    assert.deepEqual(line, { custom_id: 'id-1', method: 'POST', url: '/v4/chat/completions', body: { model: 'm' } });
  });

  it('sends Azure keys as api-key, the others as Bearer, and maps the batch', async () => {
    const key = 'sk-dialect-test-key-0001';
    for (const dialect of ['azure', 'openai'] as const) {
      seen.length = 0;
      const provider = new OpenAIBatchProvider({ baseUrl: `${baseUrl}/v1`, apiKey: key, dialect });
      const batch = await provider.getBatch('batch_1');
      assert.equal(batch.rawStatus, 'in_progress');
      assert.equal(batch.end, null);
      assert.deepEqual(batch.counts, { total: 3, completed: 1, failed: 0 });
      const headers = seen[0]?.headers ?? {};
      assert.equal(seen[0]?.url, '/v1/batches/batch_1');
      if (dialect === 'azure') {
        assert.equal(headers['api-key'], key);
        assert.equal(headers['authorization'], undefined);
      } else {
        assert.equal(headers['authorization'], `Bearer ${key}`);
        assert.equal(headers['api-key'], undefined);
      }
    }
  });
});
