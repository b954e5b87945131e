import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type IncomingHttpHeaders, createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PreparedRequest } from '../../../src/core/item.ts';
import { AuthenticationError, ConnectionError, ProviderError, RateLimitError } from '../../../src/errors/index.ts';
import { decideRetry } from '../../../src/engine/retry-policy.ts';
import { AnthropicBatchProvider } from '../../../src/providers/anthropic/anthropic-batch-provider.ts';
import type { BatchLineResult, RemoteBatch } from '../../../src/providers/provider.ts';
import { answerText, convertAnthropicParamsToChatBody } from '../../../src/simulator/index.ts';
import { type SimulatorHandle, startSimulator, withSimulator } from '../../helpers/start-simulator.ts';

const KEY = 'sk-ant-test-provider-abcdefghijklmnop';
const LIFETIME_MS = 300;
const RETRY = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 1 };

let workDir: string;
before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'anthropic-batch-'));
});
after(async () => {
  await rm(workDir, { recursive: true, force: true });
});

function chatRequest(text: string, extra: Record<string, unknown> = {}): PreparedRequest {
  return {
    method: 'POST',
    url: '/v1/chat/completions',
    body: JSON.stringify({ model: 'claude-sonnet-5', messages: [{ role: 'user', content: text }], ...extra }),
  };
}

/** Writes a chunk file as the engine would: one `encodeLine` per item. Returns its path and the encoded lines. */
async function writeChunk(
  provider: AnthropicBatchProvider,
  name: string,
  items: { customId: string; request: PreparedRequest }[],
): Promise<{ path: string; lines: string[] }> {
  const lines = items.map((item, seq) => provider.encodeLine(provider.remoteId(item.customId, seq), item.request).line);
  const path = join(workDir, `${name}.jsonl`);
  await writeFile(path, lines.map((line) => `${line}\n`).join(''));
  return { path, lines };
}

async function waitForEnd(provider: AnthropicBatchProvider, id: string): Promise<RemoteBatch> {
  for (let tries = 0; tries < 200; tries += 1) {
    const batch = await provider.getBatch(id);
    if (batch.end !== null) return batch;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail(`batch ${id} did not end`);
}

async function collect(results: AsyncIterable<BatchLineResult>): Promise<Map<string, BatchLineResult>> {
  const byId = new Map<string, BatchLineResult>();
  for await (const result of results) byId.set(result.customId ?? `(unreadable: ${String(byId.size)})`, result);
  return byId;
}

function providerFor(simulator: SimulatorHandle, apiKey: string | null = KEY): AnthropicBatchProvider {
  // The user may well configure `.../v1`, as for OpenAI: it is stripped.
  return new AnthropicBatchProvider({ baseUrl: `${simulator.url}/v1/`, apiKey, timeoutMs: 5000 });
}

async function failureOf(call: () => Promise<unknown>): Promise<ProviderError> {
  try {
    await call();
  } catch (error) {
    assert.ok(error instanceof ProviderError, String(error));
    return error;
  }
  assert.fail('expected a ProviderError');
}

describe('AnthropicBatchProvider against the simulator', () => {
  it('creates a batch, polls it to its end and reads every answer back under its remote id', async () => {
    await withSimulator({ apiKey: KEY, batchLifetimeMs: LIFETIME_MS }, async (simulator) => {
      const provider = providerFor(simulator);
      const items = [
        { customId: 'plain-1', request: chatRequest('hello there') },
        {
          customId: 'needs a derived id!',
          request: {
            method: 'POST' as const,
            url: '/v1/chat/completions',
            body: JSON.stringify({
              model: 'claude-sonnet-5',
              messages: [
                { role: 'system', content: 'Be terse.' },
                { role: 'user', content: [{ type: 'text', text: 'with parts' }] },
              ],
              max_completion_tokens: 50,
              temperature: 0.2,
            }),
          },
        },
        { customId: 'bp-7', request: chatRequest('looks derived', { stop: 'END' }) },
      ];
      const { path, lines } = await writeChunk(provider, 'happy', items);
      const tag = { jobId: 'job-1', chunkNo: 1 };
      const created = await provider.createBatch(tag, {
        kind: 'inline',
        path,
        lineCount: 3,
        url: '/v1/chat/completions',
      });
      assert.equal(created.end, null);
      assert.equal(created.rawStatus, 'in_progress');
      assert.deepEqual(created.counts, { total: 3, completed: 0, failed: 0 });
      assert.ok(Math.abs(created.createdAt - Date.now()) < 60_000);

      const ended = await waitForEnd(provider, created.id);
      assert.equal(ended.rawStatus, 'ended');
      assert.equal(ended.end, 'completed');
      assert.deepEqual(ended.counts, { total: 3, completed: 3, failed: 0 });
      assert.ok(ended.resultRefs['results_url']?.endsWith(`/v1/messages/batches/${created.id}/results`));

      const results = await collect(provider.readResults(ended));
      assert.deepEqual([...results.keys()].sort(), ['bp-1', 'bp-2', 'plain-1']);
      for (const line of lines) {
        const sent = JSON.parse(line) as { custom_id: string; params: Record<string, unknown> };
        const result = results.get(sent.custom_id);
        assert.ok(result?.kind === 'succeeded', sent.custom_id);
        assert.equal(result.statusCode, 200);
        const body = JSON.parse(result.body) as {
          object: string;
          choices: { message: { content: string }; finish_reason: string }[];
          usage: { prompt_tokens: number; completion_tokens: number };
          anthropic_message: { id: string };
        };
        assert.equal(body.object, 'chat.completion');
        const expected = answerText('chat/completions', convertAnthropicParamsToChatBody(sent.params));
        assert.equal(body.choices[0]?.message.content, expected);
        assert.equal(body.choices[0]?.finish_reason, 'stop');
        assert.ok(body.anthropic_message.id.startsWith('msg_'));
        assert.deepEqual(result.usage, {
          inputTokens: body.usage.prompt_tokens,
          outputTokens: body.usage.completion_tokens,
        });
      }
      // The system message went to `system`, so the answer was keyed on it too.
      const second = JSON.parse(lines[1]!) as { params: Record<string, unknown> };
      assert.equal(second.params['system'], 'Be terse.');
      assert.equal(second.params['max_tokens'], 50);
    });
  });

  it('streams a chunk larger than one body piece intact', async () => {
    await withSimulator({ batchLifetimeMs: LIFETIME_MS }, async (simulator) => {
      const provider = providerFor(simulator, null);
      const items = Array.from({ length: 3000 }, (_, index) => ({
        customId: `long-${String(index)}`,
        request: chatRequest(`${String(index)} ${'padding '.repeat(20)}`),
      }));
      const { path } = await writeChunk(provider, 'large', items);
      const created = await provider.createBatch(
        { jobId: 'job-6', chunkNo: 1 },
        { kind: 'inline', path, lineCount: items.length, url: '/v1/chat/completions' },
      );
      assert.equal(created.counts.total, items.length);
      const results = await collect(provider.readResults(await waitForEnd(provider, created.id)));
      assert.equal(results.size, items.length);
      assert.ok([...results.values()].every((result) => result.kind === 'succeeded'));
    });
  });

  it('maps errored and expired lines so that only the retryable ones are retried', async () => {
    await withSimulator(
      { apiKey: KEY, batchLifetimeMs: LIFETIME_MS, batchLineFailRate: 0.5, batchLineExpireRate: 0.3, seed: 7 },
      async (simulator) => {
        const provider = providerFor(simulator);
        const items = Array.from({ length: 40 }, (_, index) => ({
          customId: `item-${String(index)}`,
          request: chatRequest(`question ${String(index)}`),
        }));
        const { path } = await writeChunk(provider, 'faults', items);
        const created = await provider.createBatch(
          { jobId: 'job-2', chunkNo: 1 },
          { kind: 'inline', path, lineCount: items.length, url: '/v1/chat/completions' },
        );
        const ended = await waitForEnd(provider, created.id);
        const results = await collect(provider.readResults(ended));
        assert.equal(results.size, items.length);
        const kinds = [...results.values()].map((result) => result.kind);
        assert.ok(kinds.includes('errored') && kinds.includes('expired'), kinds.join(','));
        assert.equal(ended.counts.total, items.length);
        assert.equal(ended.counts.completed, kinds.filter((kind) => kind === 'succeeded').length);
        assert.equal(ended.end, 'expired');
        for (const result of results.values()) {
          if (result.kind !== 'errored') continue;
          assert.equal(result.error.code, 'api_error');
          assert.equal(result.error.status, 500);
          assert.equal(result.failureKind, 'http');
          assert.equal(decideRetry({ kind: result.failureKind, status: result.error.status }, 1, RETRY).kind, 'retry');
        }
      },
    );
  });

  it('fails a line the API refuses as invalid_request_error, which is not retried', async () => {
    await withSimulator({ batchLifetimeMs: LIFETIME_MS }, async (simulator) => {
      const provider = providerFor(simulator, null);
      const { path } = await writeChunk(provider, 'invalid', [
        { customId: 'fine', request: chatRequest('ok') },
        // No model: accepted at create, refused when the line runs.
        { customId: 'no-model', request: { method: 'POST', url: '/v1/chat/completions', body: '{"messages":[]}' } },
      ]);
      const created = await provider.createBatch(
        { jobId: 'job-5', chunkNo: 1 },
        { kind: 'inline', path, lineCount: 2, url: '/v1/chat/completions' },
      );
      const ended = await waitForEnd(provider, created.id);
      assert.deepEqual(ended.counts, { total: 2, completed: 1, failed: 1 });
      assert.equal(ended.end, 'completed');
      const results = await collect(provider.readResults(ended));
      assert.equal(results.get('fine')?.kind, 'succeeded');
      const refused = results.get('no-model');
      assert.ok(refused?.kind === 'errored');
      assert.equal(refused.error.code, 'invalid_request_error');
      assert.equal(refused.error.status, 400);
      const decision = decideRetry({ kind: refused.failureKind, status: refused.error.status }, 1, RETRY);
      assert.notEqual(decision.kind, 'retry');
    });
  });

  it('cancels a running batch, which then ends cancelled', async () => {
    await withSimulator({ apiKey: KEY, batchLifetimeMs: 5000 }, async (simulator) => {
      const provider = providerFor(simulator);
      const { path } = await writeChunk(provider, 'cancel', [
        { customId: 'a', request: chatRequest('one') },
        { customId: 'b', request: chatRequest('two') },
      ]);
      const created = await provider.createBatch(
        { jobId: 'job-3', chunkNo: 1 },
        { kind: 'inline', path, lineCount: 2, url: '/v1/chat/completions' },
      );
      const cancelling = await provider.cancelBatch(created.id);
      assert.equal(cancelling.rawStatus, 'canceling');
      assert.equal(cancelling.end, null);
      const ended = await waitForEnd(provider, created.id);
      assert.equal(ended.end, 'cancelled');
      const results = await collect(provider.readResults(ended));
      assert.equal(results.size, 2);
      for (const result of results.values()) assert.ok(result.kind === 'cancelled' || result.kind === 'succeeded');
    });
  });

  it('adopts an orphan batch by line count, unless it is claimed or ambiguous', async () => {
    await withSimulator({ apiKey: KEY, batchLifetimeMs: 5000 }, async (simulator) => {
      const provider = providerFor(simulator);
      const since = Date.now();
      const tag = { jobId: 'job-4', chunkNo: 2 };
      const three = await writeChunk(provider, 'orphan-3', [
        { customId: 'x', request: chatRequest('1') },
        { customId: 'y', request: chatRequest('2') },
        { customId: 'z', request: chatRequest('3') },
      ]);
      const two = await writeChunk(provider, 'orphan-2', [
        { customId: 'x', request: chatRequest('1') },
        { customId: 'y', request: chatRequest('2') },
      ]);
      const input = { kind: 'inline' as const, url: '/v1/chat/completions' };
      const orphan = await provider.createBatch(tag, { ...input, path: three.path, lineCount: 3 });
      const other = await provider.createBatch(tag, { ...input, path: two.path, lineCount: 2 });

      const found = await provider.findBatch(tag, { since, lineCount: 3, claimed: new Set() });
      assert.equal(found?.id, orphan.id);
      assert.equal(found.counts.total, 3);
      assert.equal(await provider.findBatch(tag, { since, lineCount: 3, claimed: new Set([orphan.id]) }), null);
      assert.equal((await provider.findBatch(tag, { since, lineCount: 2, claimed: new Set() }))?.id, other.id);
      assert.equal(await provider.findBatch(tag, { since, lineCount: 5, claimed: new Set() }), null);
      // Created before the window (since - 5 min): not looked at.
      assert.equal(
        await provider.findBatch(tag, { since: Date.now() + 10 * 60_000, lineCount: 3, claimed: new Set() }),
        null,
      );

      const again = await provider.createBatch(tag, { ...input, path: three.path, lineCount: 3 });
      assert.equal(await provider.findBatch(tag, { since, lineCount: 3, claimed: new Set() }), null);
      const left = await provider.findBatch(tag, { since, lineCount: 3, claimed: new Set([orphan.id]) });
      assert.equal(left?.id, again.id);
    });
  });

  it('maps a wrong key to AuthenticationError without the key in the error', async () => {
    await withSimulator({ apiKey: KEY }, async (simulator) => {
      const wrong = 'sk-ant-wrong-key-abcdefghijklmnop';
      const provider = providerFor(simulator, wrong);
      const refused = await failureOf(() => provider.getBatch('msgbatch_nothing'));
      assert.ok(refused instanceof AuthenticationError);
      assert.equal(refused.status, 401);
      assert.equal(refused.code, 'AUTH_FAILED');
      const { path } = await writeChunk(provider, 'auth', [{ customId: 'a', request: chatRequest('x') }]);
      const onCreate = await failureOf(() =>
        provider.createBatch(
          { jobId: 'j', chunkNo: 1 },
          { kind: 'inline', path, lineCount: 1, url: '/v1/chat/completions' },
        ),
      );
      assert.equal(onCreate.code, 'AUTH_FAILED');
      for (const error of [refused, onCreate]) {
        const shown = JSON.stringify({ message: error.message, body: error.body, stack: error.stack });
        assert.ok(!shown.includes(wrong) && !shown.includes(KEY));
      }
      // No key configured: no key header at all, still a clean 401.
      const keyless = await failureOf(() => providerFor(simulator, null).getBatch('msgbatch_nothing'));
      assert.equal(keyless.status, 401);
    });
  });

  it('sends the key as x-api-key only, and no key at all when none is configured', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const server = createHttpServer((request, response) => {
      seen.push(request.headers);
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end('{"type":"error","error":{"type":"not_found_error","message":"nope"}}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const previous = process.env['ANTHROPIC_API_KEY'];
    // Must never be picked up: the key comes from our config only.
    process.env['ANTHROPIC_API_KEY'] = 'sk-ant-from-the-environment';
    try {
      for (const apiKey of [KEY, null]) {
        const provider = new AnthropicBatchProvider({ baseUrl: `http://127.0.0.1:${String(port)}`, apiKey });
        const missing = await failureOf(() => provider.getBatch('msgbatch_x'));
        assert.equal(missing.status, 404);
      }
    } finally {
      if (previous === undefined) delete process.env['ANTHROPIC_API_KEY'];
      else process.env['ANTHROPIC_API_KEY'] = previous;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    assert.equal(seen.length, 2);
    assert.equal(seen[0]?.['x-api-key'], KEY);
    assert.equal(seen[0]?.authorization, undefined);
    assert.equal(seen[1]?.['x-api-key'], undefined);
    assert.equal(seen[1]?.authorization, undefined);
  });

  it("maps the enqueued-token 429 to RateLimitError with the server's retry-after", async () => {
    await withSimulator({ batchLifetimeMs: 5000, batchEnqueuedTokenLimit: 1500 }, async (simulator) => {
      const provider = providerFor(simulator, null);
      const { path } = await writeChunk(provider, 'tokens', [{ customId: 'a', request: chatRequest('x') }]);
      const input = { kind: 'inline' as const, path, lineCount: 1, url: '/v1/chat/completions' };
      await provider.createBatch({ jobId: 'j', chunkNo: 1 }, input);
      const limited = await failureOf(() => provider.createBatch({ jobId: 'j', chunkNo: 2 }, input));
      assert.ok(limited instanceof RateLimitError);
      assert.equal(limited.status, 429);
      assert.ok(limited.retryAfterMs !== undefined && limited.retryAfterMs >= 1000, String(limited.retryAfterMs));
      assert.equal(decideRetry(limited, 1, RETRY).kind, 'retry');
    });
  });

  it('maps an unknown batch to a 404 that is not retried', async () => {
    await withSimulator({}, async (simulator) => {
      const missing = await failureOf(() => providerFor(simulator, null).getBatch('msgbatch_missing'));
      assert.equal(missing.kind, 'http');
      assert.equal(missing.status, 404);
      assert.equal(missing.code, 'PROVIDER_FAILED');
    });
  });

  it('maps connection refused to ConnectionError with its errno', async () => {
    const port = await freePort();
    const provider = new AnthropicBatchProvider({ baseUrl: `http://127.0.0.1:${String(port)}`, apiKey: KEY });
    const refused = await failureOf(() => provider.getBatch('msgbatch_x'));
    assert.ok(refused instanceof ConnectionError);
    assert.equal(refused.kind, 'connection');
    assert.equal(refused.errno, 'ECONNREFUSED');
    const listing = await failureOf(() =>
      provider.findBatch({ jobId: 'j', chunkNo: 1 }, { since: Date.now(), lineCount: 1, claimed: new Set() }),
    );
    assert.equal(listing.errno, 'ECONNREFUSED');
  });

  it('refuses a missing chunk file with a plain error, before any request', async () => {
    const simulator = await startSimulator({});
    try {
      const provider = providerFor(simulator, null);
      await assert.rejects(
        provider.createBatch(
          { jobId: 'j', chunkNo: 1 },
          { kind: 'inline', path: join(workDir, 'absent.jsonl'), lineCount: 1, url: '/v1/chat/completions' },
        ),
        (error: unknown) => !(error instanceof ProviderError) && (error as { code?: string }).code === 'ENOENT',
      );
      assert.equal(simulator.stats().batch.batchesCreated.anthropic, 0);
    } finally {
      await simulator.close();
    }
  });
});

/** A loopback port nothing listens on (taken, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}
