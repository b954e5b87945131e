import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { probeEndpoint } from '../../../src/providers/probe-endpoint.ts';
import { type HttpServerHandle, startHttpServer } from '../../helpers/start-http-server.ts';

/**
 * `probeEndpoint` against a server with no `/models` (as many OpenAI-compatible servers have none): the generation
 * path decides, so such a server is accepted; only a 404 on the API path itself refuses.
 */

describe('probeEndpoint', () => {
  let server: HttpServerHandle;
  let base: string;
  const seen: string[] = [];

  before(async () => {
    server = await startHttpServer((request, response) => {
      const url = request.url ?? '';
      seen.push(`${request.method ?? ''} ${url}`);
      // `/nomodels/v1` serves chat completions but no /models; Anthropic's /v1/messages too; nothing else exists.
      if (request.method === 'POST' && (url === '/nomodels/v1/chat/completions' || url === '/v1/messages')) {
        response.statusCode = 400;
        response.end('{"error":{"message":"messages is required"}}');
        return;
      }
      response.statusCode = 404;
      response.end('{"error":{"message":"not found"}}');
    });
    base = server.origin;
  });

  after(() => server.close());

  const target = { provider: 'openai' as const, mode: 'realtime' as const, apiKey: 'k', timeoutMs: 5000 };

  it('accepts a server without /models whose generation path answers', async () => {
    assert.deepEqual(await probeEndpoint({ ...target, baseUrl: `${base}/nomodels/v1` }), { ok: true });
    assert.ok(seen.includes('POST /nomodels/v1/chat/completions'), seen.join(', '));
  });

  it('refuses a path where neither /models nor the generation path exists', async () => {
    const probe = await probeEndpoint({ ...target, baseUrl: `${base}/elsewhere/v1` });
    assert.equal(probe.ok, false);
  });

  it('refuses batch mode where the Batches API is missing', async () => {
    const probe = await probeEndpoint({ ...target, mode: 'batch', baseUrl: `${base}/nomodels/v1` });
    assert.equal(probe.ok, false);
  });

  it('asks Anthropic paths for provider anthropic', async () => {
    assert.deepEqual(await probeEndpoint({ ...target, provider: 'anthropic', baseUrl: base }), { ok: true });
    assert.ok(seen.includes('GET /v1/models') && seen.includes('POST /v1/messages'), seen.join(', '));
  });
});
