import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { after, describe, it } from 'node:test';
import type { HttpSinkConfig } from '../../src/config/sinks-config-schema.ts';
import { SinkError } from '../../src/errors/sink-error.ts';
import { createSink } from '../../src/sinks/create-sink.ts';
import type { SinkBatch } from '../../src/sinks/sink.ts';
import { startHttpServer, type HttpServerHandle } from '../helpers/start-http-server.ts';

/**
 * Issue 13 section 2: the webhook sink against a real local server with faults: a 500 then a 200 (retryable, then
 * taken), a hang past the timeout, a refused port (both retryable), a 400 (not retryable); the header token never
 * reaches a message.
 */
const TOKEN = 'tok-s3cret-value-123';

describe('HttpSink against a real local server', () => {
  const servers: HttpServerHandle[] = [];
  after(async () => Promise.all(servers.map((server) => server.close())));

  interface Received {
    headers: IncomingHttpHeaders;
    body: unknown;
  }

  async function serve(statuses: (number | 'hang')[]): Promise<{ origin: string; received: Received[] }> {
    const received: Received[] = [];
    const server = await startHttpServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ headers: request.headers, body: JSON.parse(Buffer.concat(chunks).toString()) as unknown });
        const status = statuses[received.length - 1] ?? 200;
        if (status === 'hang') return;
        if (status === 429) response.setHeader('retry-after', '2');
        response.statusCode = status;
        response.end('{}');
      });
    });
    servers.push(server);
    return { origin: server.origin, received };
  }

  const config = (url: string, overrides: Partial<HttpSinkConfig> = {}): HttpSinkConfig => ({
    type: 'http',
    name: 'hook',
    url,
    headers: { Authorization: 'Bearer ${INGEST_TOKEN}' },
    timeout_ms: 30_000,
    rows: 'valid',
    every: 10,
    ...overrides,
  });
  const context = {
    jobId: 'job-9',
    cwd: '.',
    rowSchema: { sourceFields: [], prompts: [] },
    env: { INGEST_TOKEN: TOKEN },
  };
  const batch: SinkBatch = { batchNo: 3, rows: [{ key: 'a', row: { id: 'a', v: 1 } }] };

  function assertSinkError(code: string): (error: unknown) => boolean {
    return (error: unknown) => {
      assert.ok(error instanceof SinkError, String(error));
      assert.equal(error.code, code);
      assert.ok(!error.message.includes(TOKEN), error.message);
      return true;
    };
  }

  it('posts {batch_no, rows} with an idempotency key; a 500 is retryable, the replay then taken', async () => {
    const { origin, received } = await serve([500, 200]);
    const sink = await createSink(config(`${origin}/ingest`), context);
    await sink.open();
    await assert.rejects(sink.write(batch), assertSinkError('SINK_UNAVAILABLE'));
    await sink.write(batch);
    await sink.close();
    assert.equal(received.length, 2);
    for (const request of received) {
      assert.equal(request.headers['idempotency-key'], 'job-9:hook:3');
      assert.equal(request.headers['authorization'], `Bearer ${TOKEN}`);
      assert.deepEqual(request.body, { batch_no: 3, rows: [{ id: 'a', v: 1 }] });
    }
  });

  it('a 429 is retryable (with the wait it asks for), a 400 is not', async () => {
    const { origin } = await serve([429, 400]);
    const sink = await createSink(config(origin), context);
    await sink.open();
    await assert.rejects(sink.write(batch), (error: unknown) => {
      assertSinkError('SINK_UNAVAILABLE')(error);
      assert.equal((error as SinkError).retryAfterMs, 2000);
      return true;
    });
    await assert.rejects(sink.write(batch), assertSinkError('SINK_FAILED'));
  });

  it('a server that hangs past timeout_ms is retryable', async () => {
    const { origin } = await serve(['hang']);
    const sink = await createSink(config(origin, { timeout_ms: 300 }), context);
    await sink.open();
    await assert.rejects(sink.write(batch), assertSinkError('SINK_UNAVAILABLE'));
  });

  it('a refused connection is retryable', async () => {
    const { origin } = await serve([]);
    const closed = servers.pop();
    await closed?.close();
    const sink = await createSink(config(origin), context);
    await sink.open();
    await assert.rejects(sink.write(batch), assertSinkError('SINK_UNAVAILABLE'));
  });

  it('a header naming an unset variable fails at open', async () => {
    const sink = await createSink(config('http://127.0.0.1:9/x'), { ...context, env: {} });
    await assert.rejects(sink.open(), assertSinkError('SINK_FAILED'));
  });
});
